/**
 * The shell side of every connection: reading files in one command, atomic
 * writes, and sudo wrapping. Everything that goes into a command is quoted.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { ConnectionError } from '../errors.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { shlexSplit } from '../util/shlex.ts';
import { RunLocked, StaleWrite, type BatchWrite, type BatchWriteResult, type RunLockOptions, type Become, type Connection, type ExecOptions, type ExecResult, type FileInfo, type Reader, type WriteOptions, type WriteResult } from './types.ts';


/** A started command: its streams and its end. */
export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  done: Promise<{ code: number | null; signal?: string | null }>;
}

/**
 * Reads paths in one command that starts three programs whatever their
 * number (id, stat, cat; each program started costs a host a few ms of CPU,
 * which at 10 hosts on a small controller is a tenth of a no-change run).
 * It prints the reading user, a line per path (D folder, F file, E why not
 * readable, A absent, A N absent under a file), then a stat line per folder
 * and file (raw mode in hex, size, mode, owner, group, uid, gid), then the
 * files' bytes back to back, as they are (parseReadOutput splits them by the
 * sizes). Exit 9: a path changed while it was read (readFiles reads again).
 */
export const READ_SCRIPT = `
printf 'I '; LC_ALL=C id
n=$#
for p in "$@"; do
  if [ -d "$p" ]; then echo D; set -- "$@" "$p"
  elif [ -e "$p" ]; then
    if [ ! -f "$p" ]; then echo 'E not a regular file'
    elif [ -r "$p" ]; then echo F; set -- "$@" "$p"
    else echo 'E permission denied'; fi
  else
    # Absent; under a file (the first ancestor there is no directory), as the kernel's ENOTDIR.
    a=$p; while :; do case $a in */*) a=\${a%/*}; a=\${a:-/};; *) a=.; break;; esac; [ -e "$a" ] && break; done
    if [ -e "$a" ] && [ ! -d "$a" ]; then echo 'A N'; else echo A; fi
  fi
done
shift $n
[ $# -gt 0 ] || exit 0
stat -Lc '%f %s %a %U %G %u %g' -- "$@" || exit 9
for p; do [ -d "$p" ] || set -- "$@" "$p"; shift; done
[ $# -eq 0 ] || cat -- "$@" || exit 9`;


/** Exit codes of the write script that mean something to the caller. */
const EXIT_STALE = 7;

/**
 * A `validate` command as argv, never through a shell (as Ansible's
 * run_command without use_unsafe_shell): words split like shlex, each word
 * quoted, `%s` replaced by the temp file.
 */
export function validateCommand(validate: string): string {
  let words: string[];
  try {
    words = shlexSplit(validate);
  } catch {
    throw new WriteFailed(`validate has an unclosed quote: ${validate}`);
  }
  if (!validate.includes('%s')) words.push('%s');
  return words.map((w) => w.split('%s').map((part) => (part === '' ? '' : shellQuote(part))).join('"$t"') || "''").join(' ');
}

/**
 * The first half of an atomic write: the temp file beside the target, its
 * bytes verified by checksum, the mode, owner and validation applied to it.
 * Leaves `p` (the target, symlinks resolved when asked), `d` and `t`.
 */
function prepareScript(path: string, size: number, sha: string, opts: WriteOptions, fill: string): string[] {
  const lines = [
    'set -e',
    `p=${shellQuote(path)}`,
    // lineinfile and blockinfile edit a symlink's target and keep the link (Ansible's realpath).
    opts.follow ? 'if [ -L "$p" ]; then p=$(readlink -f -- "$p") || { echo "cannot resolve the symlink $p" >&2; exit 3; }; fi' : ':',
    // dirname and mktemp without a process each (a batch writes many files): the paths name files, never end in /.
    'case $p in */*) d=${p%/*}; d=${d:-/} ;; *) d=. ;; esac',
    opts.makeParents ? 'mkdir -p -- "$d"' : '[ -d "$d" ] || { echo "directory $d does not exist" >&2; exit 3; }',
    't="$d/.jitsi-fleet.$$.${jf_n:-0}"',
    'set -C; if ! { true > "$t"; } 2>/dev/null; then set +C; t=$(mktemp "$d/.jitsi-fleet.XXXXXXXX"); fi; set +C',
    "trap 'rm -f -- \"$t\"' EXIT HUP INT TERM PIPE",
    fill,
    // The checksum covers the size too.
    `printf '%s  %s\\n' ${sha} "$t" | sha256sum -c --status - || { echo "incomplete transfer: the ${size} bytes sent do not match their checksum" >&2; exit 4; }`,
    'if [ -e "$p" ]; then chmod --reference="$p" -- "$t"; chown --reference="$p" -- "$t" 2>/dev/null || true',
    // A batch works the default mode out once (jf_newmode).
    'else chmod "${jf_newmode:-$(printf %o $(( 0666 & ~$(umask) )))}" -- "$t"; fi',
  ];
  if (opts.mode) lines.push(`chmod ${shellQuote(opts.mode)} -- "$t"`);
  if (opts.owner || opts.group) lines.push(`chown ${shellQuote(`${opts.owner ?? ''}${opts.group ? ':' + opts.group : ''}`)} -- "$t"`);
  if (opts.validate) {
    lines.push(`if ! out=$(${validateCommand(opts.validate)} 2>&1); then echo "validation failed: $out" >&2; exit 5; fi`);
  }
  return lines;
}

/**
 * The second half: under the directory's lock, the check that the target is
 * still what the plan was made from, the backup, and the rename.
 */
function commitScript(opts: WriteOptions): string[] {
  const lines = [
    // One writer at a time in this directory, from the base check to the rename.
    'exec 9<"$d"',
    'if command -v flock >/dev/null 2>&1; then flock -w 60 9 || { echo "another process kept $d locked for 60 s" >&2; exit 6; }; fi',
  ];
  if (opts.base?.state === 'absent') {
    lines.push(`if [ -e "$p" ] || [ -L "$p" ]; then echo "$p was created by someone else after this run read it" >&2; exit ${EXIT_STALE}; fi`);
  } else if (opts.base?.state === 'file') {
    lines.push(
      `cur=$(sha256sum < "$p" 2>/dev/null) || cur=absent`,
      `[ "\${cur%% *}" = ${opts.base.sha256} ] || { echo "$p was changed by someone else after this run read it" >&2; exit ${EXIT_STALE}; }`,
    );
  }
  if (opts.backup) {
    lines.push('if [ -e "$p" ]; then b="$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$p" "$b"; echo "BACKUP=$b"; fi');
  }
  lines.push('mv -f -- "$t" "$p"');
  return lines;
}

/** Builds the atomic write script: temp beside the target, verified by checksum, checked against the plan's base, renamed. */
function writeScript(path: string, size: number, sha: string, opts: WriteOptions, fill = 'cat > "$t"'): string {
  return [...prepareScript(path, size, sha, opts, fill), 'sync -- "$t" 2>/dev/null || sync', ...commitScript(opts), 'trap - EXIT'].join('\n');
}

/**
 * Parses what READ_SCRIPT printed. Undefined when the answer does not hold
 * together (a path changed between the script's steps: a file became a
 * folder, or its size is not the bytes that came): the caller reads again.
 * A single file's bytes are taken as they came (a log being appended to is
 * read, as one read of it would).
 */
export function parseReadOutput(paths: string[], stdout: Buffer): Map<string, FileInfo> | undefined {
  let at = 0;
  const line = (): string => {
    const end = stdout.indexOf(10, at);
    if (end < 0) throw new ConnectionError(`unexpected answer while reading ${paths.join(', ')}: it ends early`);
    const text = stdout.toString('utf8', at, end);
    at = end + 1;
    return text;
  };
  // The reading user first: id's own words, uid=0(root) gid=0(root) groups=... (a name only where the id has one).
  const m = /^I uid=(\d+)(?:\(([^)]*)\))? gid=(\d+)(?:\(([^)]*)\))?/.exec(line());
  const reader: Reader | undefined = m ? { uid: Number(m[1]), gid: Number(m[3]), user: m[2] ?? m[1], group: m[4] ?? m[3] } : undefined;
  const kinds = paths.map(line);
  const out = new Map<string, FileInfo>();
  const files: [string, number][] = [];
  // The stat lines follow all the kind lines, one per folder and file, in the paths' order.
  for (const [i, p] of paths.entries()) {
    const kind = kinds[i];
    if (kind === 'A' || kind === 'A N') out.set(p, { state: 'absent', ...(reader ? { reader } : {}), ...(kind === 'A N' ? { underFile: true } : {}) });
    else if (kind.startsWith('E ')) out.set(p, { state: 'unreadable', reason: kind.slice(2) });
    else if (kind !== 'D' && kind !== 'F') throw new ConnectionError(`unexpected answer while reading ${p}: ${JSON.stringify(kind.slice(0, 80))}`);
    else {
      const [raw, size, mode, owner, group, uid, gid] = line().split(' ');
      if ((parseInt(raw, 16) & 0o170000) !== (kind === 'D' ? 0o040000 : 0o100000)) return undefined;
      const base = { mode: mode.padStart(4, '0'), owner, group, uid: Number(uid), gid: Number(gid) };
      out.set(p, kind === 'D' ? { state: 'directory', ...base } : { state: 'file', ...base, content: Buffer.alloc(0) });
      if (kind === 'F') files.push([p, Number(size)]);
    }
  }
  const rest = stdout.subarray(at);
  if (files.length === 1 && paths.length === 1) files[0][1] = rest.length;
  if (files.reduce((n, [, size]) => n + size, 0) !== rest.length) return undefined;
  let from = 0;
  for (const [p, size] of files) {
    // A copy: the answer's buffer is not kept alive by one file of it.
    (out.get(p) as { content: Buffer }).content = Buffer.from(rest.subarray(from, (from += size)));
  }
  return out;
}

/**
 * Holds the run lock while its stdin stays open: flock on a file in
 * /run/lock, released by the kernel when this shell ends (the controller
 * closes stdin, or the connection drops), so a crashed run leaves no lock.
 */
const LOCK_SCRIPT = `
dir=/run/lock; [ -d "$dir" ] && [ -w "$dir" ] || dir=/tmp
f="$dir/jitsi-fleet.$1.lock"
command -v flock >/dev/null 2>&1 || { echo NOFLOCK; exec cat >/dev/null; }
old=$(umask); umask 000; exec 9>>"$f" 2>/dev/null || exec 9<"$f" || { echo "NOLOCK cannot open $f"; exit 1; }; umask "$old"
if ! flock -n 9; then
  echo "BUSY $(cat "$f" 2>/dev/null)"
  if [ "$2" -le 0 ] || ! flock -w "$2" 9; then echo "TIMEOUT $(cat "$f" 2>/dev/null)"; exit 1; fi
fi
printf '%s\\n' "$3" > "$f" 2>/dev/null || true
echo LOCKED
exec cat >/dev/null`;

/** A connection whose commands run in a POSIX shell: local or SSH. */
export abstract class ShellConnection implements Connection {
  #commands = 0;
  #lock?: RemoteProcess;

  constructor(readonly host: string, protected readonly loginUser: string) {}

  get user(): string {
    return this.loginUser;
  }

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
    const flags = become.password === undefined ? '-H -S -n' : `-H -S -p ${shellQuote(prompt)}`;
    return `sudo ${flags} -u ${shellQuote(become.user)} /bin/sh -c ${shellQuote(inner)}`;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const res = await this.execBytes(command, opts);
    return { ...res, stdout: res.stdout.toString('utf8') };
  }

  /** exec, with stdout as the bytes that came. */
  private async execBytes(command: string, opts: ExecOptions): Promise<{ code: number; stdout: Buffer; stderr: string }> {
    const id = randomBytes(12).toString('hex');
    const marker = `BECOME-SUCCESS-${id}`;
    const prompt = `[sudo via jitsi-fleet, key=${id}] password:`;
    // cd -P: the working folder with its links resolved, as os.chdir leaves it (Ansible's chdir).
    const inDir = opts.cwd ? `cd -P -- ${shellQuote(opts.cwd)} && ${command}` : command;
    const full = this.wrap(inDir, opts.become, marker, prompt);
    const escalated = full !== inDir;
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
    let stdout = Buffer.concat(out);
    let stderr = Buffer.concat(err).toString('utf8');
    if (escalated) {
      stderr = stderr.split(prompt).join('');
      const at = stdout.indexOf(marker);
      if (at < 0) {
        const why = wrongPassword ? 'incorrect sudo password (ansible_become_password)' : stderr.replace(/Sorry, try again\.\s*/g, '').trim() || `sudo exited with ${code}`;
        return { code: code ?? 1, stdout: Buffer.alloc(0), stderr: `become to ${opts.become!.user} failed: ${why}` };
      }
      stdout = stdout.subarray(at + marker.length + 1);
    }
    if (code === null && signal) throw new ConnectionError(`the command on ${this.host} ended by signal ${signal}`);
    return { code: code ?? 255, stdout, stderr };
  }

  async lock(opts: RunLockOptions): Promise<void> {
    const name = opts.name.replace(/[^A-Za-z0-9_.-]/g, '_');
    const proc = await this.spawn(`/bin/sh -c ${shellQuote(LOCK_SCRIPT)} sh ${shellQuote(name)} ${Math.max(0, Math.round(opts.waitSeconds))} ${shellQuote(opts.holder)}`);
    proc.stdin.on('error', () => {});
    this.#lock = proc;
    let out = '';
    const answer = await new Promise<string>((resolve) => {
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        for (const line of out.split('\n').slice(0, -1)) {
          if (line.startsWith('BUSY ')) opts.onBusy?.(line.slice(5).trim() || 'another run (no details)');
          else if (/^(LOCKED|NOFLOCK|TIMEOUT|NOLOCK)/.test(line)) resolve(line);
        }
        out = out.slice(out.lastIndexOf('\n') + 1);
      });
      proc.done.then(() => resolve(out.trim() || 'ENDED'), () => resolve('ENDED'));
    });
    if (answer === 'LOCKED' || answer === 'NOFLOCK') return;
    this.#lock = undefined;
    proc.stdin.end();
    if (answer.startsWith('TIMEOUT')) {
      const who = answer.slice(8).trim() || 'another run (no details)';
      throw new RunLocked(
        opts.waitSeconds > 0
          ? `${this.host} is locked by another jitsi-fleet run (${who}); waited ${opts.waitSeconds} s`
          : `${this.host} is locked by another jitsi-fleet run (${who})`,
      );
    }
    throw new RunLocked(`${this.host}: the run lock could not be taken: ${answer}`);
  }

  unlock(): void {
    this.releaseLock();
  }

  /** Lets go of the run lock (ends the shell that holds it). */
  protected releaseLock(): void {
    this.#lock?.stdin.end();
    this.#lock = undefined;
  }

  async readFiles(paths: string[], become?: Become): Promise<Map<string, FileInfo>> {
    if (paths.length === 0) return new Map();
    const read = async (some: string[]) => {
      const res = await this.execBytes(`/bin/sh -c ${shellQuote(READ_SCRIPT)} sh ${some.map(shellQuote).join(' ')}`, { become });
      if (res.code !== 0 && res.code !== 9) throw new Error(`reading ${some.join(', ')} on ${this.host} failed: ${res.stderr.trim() || `exit ${res.code}`}`);
      return res.code === 0 ? parseReadOutput(some, res.stdout) : undefined;
    };
    const all = await read(paths);
    if (all) return all;
    // A path changed while it was read: each again on its own, a few times.
    const out = new Map<string, FileInfo>();
    for (const p of paths) {
      let got: Map<string, FileInfo> | undefined;
      for (let tries = 0; !got && tries < 3; tries++) got = await read([p]);
      if (!got) throw new Error(`reading ${p} on ${this.host} failed: it kept changing while it was read`);
      out.set(p, got.get(p)!);
    }
    return out;
  }

  async writeFile(path: string, content: Buffer, opts: WriteOptions = {}): Promise<WriteResult> {
    const sha = createHash('sha256').update(content).digest('hex');
    const script = writeScript(path, content.length, sha, opts);
    const res = await this.exec(`/bin/sh -c ${shellQuote(script)}`, { stdin: content, become: opts.become });
    if (res.code === EXIT_STALE) throw new StaleWrite(res.stderr.trim());
    if (res.code !== 0) {
      throw new WriteFailed(`writing ${path} failed: ${res.stderr.trim() || `exit ${res.code}`}`);
    }
    const backup = /^BACKUP=(.*)$/m.exec(res.stdout);
    return backup ? { backupFile: backup[1] } : {};
  }

  async writeFiles(writes: BatchWrite[], opts: { allOrNothing?: boolean } = {}): Promise<BatchWriteResult[]> {
    if (writes.length === 0) return [];
    const script = opts.allOrNothing ? allOrNothingScript(writes) : batchScript(writes);
    const res = await this.exec('/bin/sh -s', { stdin: script, become: writes[0].opts.become });
    const results: BatchWriteResult[] = parseBatchOutput(writes, res.stdout);
    // The script itself failed before a write reported (sudo refused, no mktemp): the first write carries it.
    if (res.code !== 0 && !results.some((r) => r.state !== 'not run')) {
      results[0] = { state: 'failed', stale: false, msg: `writing ${writes[0].path} failed: ${res.stderr.trim() || `exit ${res.code}`}` };
    }
    return results;
  }
}

/**
 * Many writes in one script, read by sh from stdin: each write is the
 * single-write script in a subshell, its bytes in a base64 here-document
 * (any size, any bytes), its exit code and error printed on one line:
 * `R <index> <code> <base64 of stderr>` (or `R <index> S`, not run).
 */
export function batchScript(writes: BatchWrite[]): string {
  const end = `JITSI_FLEET_END_${randomBytes(8).toString('hex')}`;
  const out = ['E=$(mktemp) || exit 1', 'trap \'rm -f -- "$E"\' EXIT', 'stop=0', 'sg=-1', 'jf_newmode=$(printf %o $(( 0666 & ~$(umask) )))'];
  writes.forEach((w, i) => {
    const sha = createHash('sha256').update(w.content).digest('hex');
    out.push(
      `if [ "$stop" = 0 ] || [ "$sg" = ${w.group} ]; then jf_n=${i}`,
      `( ${writeScript(w.path, w.content.length, sha, w.opts, hereDoc(w.content, end))}\n) </dev/null 2>"$E"`,
      'rc=$?',
      `printf 'R ${i} %s ' "$rc"; base64 -w0 < "$E"; echo`,
      `if [ "$rc" != 0 ] && [ "$stop" = 0 ]; then stop=1; sg=${w.group}; fi`,
      `else printf 'R ${i} S\\n'; fi`,
    );
  });
  return out.join('\n') + '\n';
}

/** Writes `content` to "$t" from a base64 here-document ending at `end`. */
function hereDoc(content: Buffer, end: string): string {
  return `base64 -d > "$t" <<'${end}'\n${content.toString('base64').replace(/.{1,76}/g, '$&\n')}${end}`;
}

/**
 * All or nothing, step by step for all the files at once (the fewest
 * processes: a first run's writes are mostly process start-ups on the host):
 * every temp file is made, filled and given its mode first, then all are
 * verified by one sha256sum and flushed by one sync, and only then is each
 * checked against its base (under its directory's lock) and renamed, in
 * order. A failure before the first rename removes every temp file and
 * renames nothing. Output as batchScript's: `R <index> <code> <base64 of
 * the error>`, one line per file renamed or failed; no line: not run.
 */
export function allOrNothingScript(writes: BatchWrite[]): string {
  const end = `JITSI_FLEET_END_${randomBytes(8).toString('hex')}`;
  const q = shellQuote;
  // The temps made so far are the positional parameters: the EXIT trap removes what was not renamed.
  const out = [
    'set --',
    'E=$(mktemp) || exit 1',
    'trap \'rm -f -- "$E" "$@"\' EXIT HUP INT TERM PIPE',
    'jf_fail() { rc=$1; shift; printf \'R %s %s \' "$jf_i" "$rc"; printf \'%s\' "$*" | base64 -w0; echo; exit 0; }',
    'jf_err() { cat -- "$E"; }',
    'jf_new=',
  ];
  // 1. Temp files beside their targets, filled.
  writes.forEach((w, i) => {
    out.push(
      `jf_i=${i}; p=${q(w.path)}`,
      w.opts.follow ? 'if [ -L "$p" ]; then p=$(readlink -f -- "$p") || jf_fail 3 "cannot resolve the symlink $p"; fi' : ':',
      w.opts.notSymlink ? 'if [ -L "$p" ]; then jf_fail 3 "$p is a symlink: written one task at a time"; fi' : ':',
      'case $p in */*) d=${p%/*}; d=${d:-/} ;; *) d=. ;; esac',
      w.opts.makeParents ? '[ -d "$d" ] || mkdir -p -- "$d" 2>"$E" || jf_fail 3 "$(jf_err)"' : '[ -d "$d" ] || jf_fail 3 "directory $d does not exist"',
      `p_${i}=$p; d_${i}=$d; t=$d/.jitsi-fleet.$$.${i}`,
      'set -C; if ! { true > "$t"; } 2>/dev/null; then set +C; t=$(mktemp "$d/.jitsi-fleet.XXXXXXXX" 2>"$E") || jf_fail 3 "$(jf_err)"; fi; set +C',
      `t_${i}=$t; set -- "$@" "$t"`,
      `base64 -d > "$t" 2>"$E" <<'${end}' || jf_fail 4 "$(jf_err)"\n${w.content.toString('base64').replace(/.{1,76}/g, '$&\n')}${end}`,
      // An existing file's mode and owner are kept; new files get the default mode, all in one chmod below.
      `if [ -e "$p" ]; then chmod --reference="$p" -- "$t" 2>"$E" || jf_fail 3 "$(jf_err)"; chown --reference="$p" -- "$t" 2>/dev/null || true; else jf_new="$jf_new \\"\\$t_${i}\\""; fi`,
    );
  });
  // 2. Every byte as sent (one sha256sum; on a mismatch, the first file that differs is named).
  out.push(`if ! sha256sum -c --status 2>/dev/null <<${end}`);
  writes.forEach((w, i) => out.push(`${createHash('sha256').update(w.content).digest('hex')}  $t_${i}`));
  out.push(end, 'then');
  writes.forEach((w, i) => out.push(`  jf_i=${i}; printf '%s  %s\\n' ${createHash('sha256').update(w.content).digest('hex')} "$t_${i}" | sha256sum -c --status - 2>/dev/null || jf_fail 4 "incomplete transfer: the ${w.content.length} bytes sent do not match their checksum"`));
  out.push('fi');
  // 3. Modes: the default for the new files at once, then what the tasks asked for.
  out.push('jf_i=0', 'if [ -n "$jf_new" ]; then eval "chmod \\"\\$(printf %o \\$(( 0666 & ~\\$(umask) )))\\" --$jf_new" 2>"$E" || jf_fail 3 "$(jf_err)"; fi');
  writes.forEach((w, i) => {
    if (w.opts.mode) out.push(`jf_i=${i}; chmod ${q(w.opts.mode)} -- "$t_${i}" 2>"$E" || jf_fail 3 "$(jf_err)"`);
    if (w.opts.owner || w.opts.group) out.push(`jf_i=${i}; chown ${q(`${w.opts.owner ?? ''}${w.opts.group ? ':' + w.opts.group : ''}`)} -- "$t_${i}" 2>"$E" || jf_fail 3 "$(jf_err)"`);
  });
  out.push('sync -- "$@" 2>/dev/null || sync');
  // 4. Each file, in order: under its directory's lock, still what the plan was made from; renamed.
  out.push('jf_locked=');
  writes.forEach((w, i) => {
    out.push(
      `jf_i=${i}; p=$p_${i}; d=$d_${i}`,
      'if [ "$d" != "$jf_locked" ]; then exec 9<"$d"; if command -v flock >/dev/null 2>&1; then flock -w 60 9 || jf_fail 6 "another process kept $d locked for 60 s"; fi; jf_locked=$d; fi',
    );
    if (w.opts.base?.state === 'absent') {
      out.push(`if [ -e "$p" ] || [ -L "$p" ]; then jf_fail ${EXIT_STALE} "$p was created by someone else after this run read it"; fi`);
    } else if (w.opts.base?.state === 'file') {
      out.push(`cur=$(sha256sum < "$p" 2>/dev/null) || cur=absent`, `[ "\${cur%% *}" = ${w.opts.base.sha256} ] || jf_fail ${EXIT_STALE} "$p was changed by someone else after this run read it"`);
    }
    out.push(`mv -f -- "$t_${i}" "$p" 2>"$E" || jf_fail 1 "$(jf_err)"`, `echo 'R ${i} 0 '`);
  });
  return out.join('\n') + '\n';
}

/** Parses what batchScript printed. */
export function parseBatchOutput(writes: BatchWrite[], stdout: string): BatchWriteResult[] {
  const results: BatchWriteResult[] = writes.map(() => ({ state: 'not run' }));
  let backup: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('BACKUP=')) backup = line.slice(7);
    const m = /^R (\d+) (S|\d+)(?: (\S*))?$/.exec(line);
    if (!m) continue;
    const i = Number(m[1]);
    const done = backup;
    backup = undefined;
    if (m[2] === 'S' || i >= writes.length) continue;
    const code = Number(m[2]);
    const stderr = Buffer.from(m[3] ?? '', 'base64').toString('utf8').trim();
    if (code === 0) results[i] = done ? { state: 'written', backupFile: done } : { state: 'written' };
    else results[i] = { state: 'failed', stale: code === EXIT_STALE, msg: code === EXIT_STALE ? stderr : `writing ${writes[i].path} failed: ${stderr || `exit ${code}`}` };
  }
  return results;
}

/** A write the host refused (validation, permissions, missing directory). */
export class WriteFailed extends Error {}
