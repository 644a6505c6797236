/**
 * The shell side of every connection: reading files in one command, atomic
 * writes, and sudo wrapping. Everything that goes into a command is quoted.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { ConnectionError } from '../errors.ts';
import type { Become, Connection, ExecOptions, ExecResult, FileInfo, WriteOptions, WriteResult } from './types.ts';

/** Single-quotes a value for a POSIX shell (zx's `quote`, without bash-only $'' forms). */
export function q(s: string): string {
  if (s !== '' && /^[\w@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

/** A started command: its streams and its end. */
export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  done: Promise<{ code: number | null; signal?: string | null }>;
}

const READ_SCRIPT = `
for p in "$@"; do
  if [ -d "$p" ]; then printf 'D %s\\n' "$(stat -Lc '%a %U %G' -- "$p")"
  elif [ -e "$p" ]; then
    if [ -r "$p" ]; then printf 'F %s\\n' "$(stat -Lc '%a %U %G' -- "$p")"; base64 -w0 -- "$p"; printf '\\n'
    else printf 'E permission denied\\n'; fi
  else printf 'A\\n'; fi
done`;

/** Builds the atomic write script: temp beside the target, verified by checksum, renamed. */
function writeScript(path: string, size: number, sha: string, opts: WriteOptions): string {
  const lines = [
    'set -e',
    `p=${q(path)}`,
    'd=$(dirname -- "$p")',
    opts.makeParents ? 'mkdir -p -- "$d"' : '[ -d "$d" ] || { echo "directory $d does not exist" >&2; exit 3; }',
    't=$(mktemp "$d/.jitsi-fleet.XXXXXXXX")',
    "trap 'rm -f -- \"$t\"' EXIT HUP INT TERM PIPE",
    'cat > "$t"',
    `[ "$(wc -c < "$t")" -eq ${size} ] || { echo "incomplete transfer" >&2; exit 4; }`,
    `printf '%s  %s\\n' ${sha} "$t" | sha256sum -c --status - || { echo "checksum mismatch" >&2; exit 4; }`,
    'if [ -e "$p" ]; then chmod --reference="$p" -- "$t"; chown --reference="$p" -- "$t" 2>/dev/null || true',
    'else chmod "$(printf %o $(( 0666 & ~$(umask) )))" -- "$t"; fi',
  ];
  if (opts.mode) lines.push(`chmod ${q(opts.mode)} -- "$t"`);
  if (opts.owner || opts.group) lines.push(`chown ${q(`${opts.owner ?? ''}${opts.group ? ':' + opts.group : ''}`)} -- "$t"`);
  if (opts.validate) {
    const cmd = opts.validate.includes('%s') ? opts.validate.split('%s').join('"$t"') : `${opts.validate} "$t"`;
    lines.push(`if ! out=$(${cmd} 2>&1); then echo "validation failed: $out" >&2; exit 5; fi`);
  }
  if (opts.backup) {
    lines.push('if [ -e "$p" ]; then b="$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$p" "$b"; echo "BACKUP=$b"; fi');
  }
  lines.push('sync -- "$t" 2>/dev/null || sync', 'mv -f -- "$t" "$p"', 'trap - EXIT');
  return lines.join('\n');
}

/** Parses what READ_SCRIPT printed. */
export function parseReadOutput(paths: string[], stdout: string): Map<string, FileInfo> {
  const out = new Map<string, FileInfo>();
  const lines = stdout.split('\n');
  let i = 0;
  for (const p of paths) {
    const head = lines[i++] ?? '';
    if (head === 'A') out.set(p, { state: 'absent' });
    else if (head.startsWith('D ')) {
      const [mode, owner, group] = head.slice(2).split(' ');
      out.set(p, { state: 'directory', mode: mode.padStart(4, '0'), owner, group });
    } else if (head.startsWith('F ')) {
      const [mode, owner, group] = head.slice(2).split(' ');
      out.set(p, { state: 'file', mode: mode.padStart(4, '0'), owner, group, content: Buffer.from(lines[i++] ?? '', 'base64') });
    } else if (head.startsWith('E ')) out.set(p, { state: 'unreadable', reason: head.slice(2) });
    else throw new ConnectionError(`unexpected answer while reading ${p}: ${JSON.stringify(head.slice(0, 80))}`);
  }
  return out;
}

/** A connection whose commands run in a POSIX shell: local or SSH. */
export abstract class ShellConnection implements Connection {
  #commands = 0;

  constructor(readonly host: string, protected readonly loginUser: string) {}

  get commandsSent(): number {
    return this.#commands;
  }

  abstract connect(): Promise<void>;
  abstract close(): Promise<void>;
  /** Starts `command` in a shell on the host. */
  protected abstract spawn(command: string): Promise<RemoteProcess>;

  /** Wraps a command in sudo when it must run as another user. */
  private wrap(command: string, become: Become | undefined, marker: string, prompt: string): string {
    if (!become || become.user === this.loginUser) return command;
    const inner = `echo ${marker}; ${command}`;
    const flags = become.password === undefined ? '-H -S -n' : `-H -S -p ${q(prompt)}`;
    return `sudo ${flags} -u ${q(become.user)} /bin/sh -c ${q(inner)}`;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const id = randomBytes(12).toString('hex');
    const marker = `BECOME-SUCCESS-${id}`;
    const prompt = `[sudo via jitsi-fleet, key=${id}] password:`;
    const full = this.wrap(opts.cwd ? `cd ${q(opts.cwd)} && ${command}` : command, opts.become, marker, prompt);
    const escalated = full !== (opts.cwd ? `cd ${q(opts.cwd)} && ${command}` : command);
    this.#commands++;
    const proc = await this.spawn(full);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let stdoutText = '';
    let promptSeen = false;
    let stdinSent = false;
    const sendStdin = () => {
      if (stdinSent) return;
      stdinSent = true;
      if (opts.stdin !== undefined) proc.stdin.end(opts.stdin);
      else proc.stdin.end();
    };
    proc.stdin.on('error', () => {});
    proc.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (escalated && !stdinSent) {
        stdoutText += chunk.toString('utf8');
        if (stdoutText.includes(marker)) sendStdin();
      }
    });
    let wrongPassword = false;
    proc.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      if (!escalated || opts.become?.password === undefined || stdinSent) return;
      const prompts = Buffer.concat(err).toString('utf8').split(prompt).length - 1;
      if (prompts === 1 && !promptSeen) {
        promptSeen = true;
        proc.stdin.write(opts.become.password + '\n');
      } else if (prompts > 1 && !wrongPassword) {
        // sudo asks again: the password is wrong. End stdin so that sudo gives up.
        wrongPassword = true;
        stdinSent = true;
        proc.stdin.end();
      }
    });
    if (!escalated) sendStdin();
    const { code, signal } = await proc.done;
    if (!stdinSent) proc.stdin.end();
    let stdout = Buffer.concat(out).toString('utf8');
    let stderr = Buffer.concat(err).toString('utf8');
    if (escalated) {
      stderr = stderr.split(prompt).join('');
      const at = stdout.indexOf(marker);
      if (at < 0) {
        const why = wrongPassword ? 'incorrect sudo password (ansible_become_password)' : stderr.replace(/Sorry, try again\.\s*/g, '').trim() || `sudo exited with ${code}`;
        return { code: code ?? 1, stdout: '', stderr: `become to ${opts.become!.user} failed: ${why}` };
      }
      stdout = stdout.slice(at + marker.length + 1);
    }
    if (code === null && signal) throw new ConnectionError(`the command on ${this.host} ended by signal ${signal}`);
    return { code: code ?? 255, stdout, stderr };
  }

  async readFiles(paths: string[], become?: Become): Promise<Map<string, FileInfo>> {
    if (paths.length === 0) return new Map();
    const cmd = `/bin/sh -c ${q(READ_SCRIPT)} sh ${paths.map(q).join(' ')}`;
    const res = await this.exec(cmd, { become });
    if (res.code !== 0) throw new Error(`reading ${paths.join(', ')} on ${this.host} failed: ${res.stderr.trim() || `exit ${res.code}`}`);
    return parseReadOutput(paths, res.stdout);
  }

  async writeFile(path: string, content: Buffer, opts: WriteOptions = {}): Promise<WriteResult> {
    const sha = createHash('sha256').update(content).digest('hex');
    const script = writeScript(path, content.length, sha, opts);
    const res = await this.exec(`/bin/sh -c ${q(script)}`, { stdin: content, become: opts.become });
    if (res.code !== 0) {
      throw new WriteFailed(`writing ${path} failed: ${res.stderr.trim() || `exit ${res.code}`}`);
    }
    const backup = /^BACKUP=(.*)$/m.exec(res.stdout);
    return backup ? { backupFile: backup[1] } : {};
  }
}

/** A write the host refused (validation, permissions, missing directory). */
export class WriteFailed extends Error {}
