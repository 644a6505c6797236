/**
 * command and shell: run a command on the host. Skipped in check mode unless
 * `creates`/`removes` decide; `creates` makes it idempotent.
 *
 * ```yaml
 * - command: prosodyctl check config
 *   changed_when: false
 * - shell: debconf-show jitsi-videobridge | grep hostname
 *   args: { creates: /etc/jitsi/videobridge/config }
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import { shlexSplit } from '../util/shlex.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface CommandArgs {
  _raw_params?: string;
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline: boolean;
  strip_empty_ends: boolean;
  executable?: string;
}

/** shlex.split: words with quotes removed (an unclosed quote keeps the rest as one word). */
export function shlexWords(text: string): string[] {
  try {
    return shlexSplit(text);
  } catch {
    return shlexSplit(text + (text.split("'").length % 2 === 0 ? "'" : '"'));
  }
}

function lines(s: string): string[] {
  return s === '' ? [] : s.replace(/\n$/, '').split('\n');
}

function makeModule(name: 'command' | 'shell'): ModuleDef<CommandArgs> {
  return {
    name,
    hostPaths: ['chdir', 'creates', 'removes'],
    freeForm: ['chdir', 'creates', 'removes', 'executable', 'stdin', 'stdin_add_newline', 'strip_empty_ends'],
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        _raw_params: { type: 'string' },
        cmd: { type: 'string' },
        ...(name === 'command' ? { argv: { type: 'array', items: { type: 'string' } } } : {}),
        executable: { type: 'string' },
        chdir: { type: 'string' },
        creates: { type: 'string' },
        removes: { type: 'string' },
        stdin: { type: 'string' },
        stdin_add_newline: { type: 'boolean', default: true },
        strip_empty_ends: { type: 'boolean', default: true },
      },
    },
    reads: (a) => [a.chdir].filter((p): p is string => p !== undefined),
    async plan(a, ctx): Promise<Plan> {
      const text = a.cmd ?? a._raw_params;
      // Ansible's module's own failures (rc 256: the command never ran).
      if ((text === undefined || text.trim() === '') && !a.argv?.length) return { changes: [], failed: true, msg: 'no command given', result: { rc: 256 } };
      if (text !== undefined && a.argv) return { changes: [], failed: true, msg: 'only command or argv can be given, not both', result: { rc: 256 } };
      if (a.chdir !== undefined && (await ctx.files.get(a.chdir, ctx.become)).state !== 'directory') {
        return { changes: [], failed: true, msg: `Unable to change directory before execution: [Errno 2] No such file or directory: b'${a.chdir}'` };
      }
      const display = a.argv ? a.argv.join(' ') : text!;
      let command: string;
      if (name === 'shell') command = a.executable ? `${shellQuote(a.executable)} -c ${shellQuote(text!)}` : text!;
      // command runs the program itself, never a shell builtin of the same name (`echo --version`): exec looks in PATH only.
      else command = `exec ${(a.argv ?? shlexWords(text!)).map(shellQuote).join(' ')}`;
      // creates/removes: a path or a glob pattern (Ansible's glob.glob), relative to chdir.
      const present = async (p: string): Promise<boolean> => {
        const full = a.chdir && !p.startsWith('/') ? `${a.chdir}/${p}` : p;
        if (!/[*?[]/.test(full)) return (await ctx.files.get(full, ctx.become)).state !== 'absent';
        const out = await ctx.probe(`for f in ${full.split('/').map((part) => (/[*?[]/.test(part) ? part : shellQuote(part))).join('/')}; do [ -e "$f" ] || [ -L "$f" ] && echo yes; break; done`);
        return out.stdout.includes('yes');
      };
      if (a.creates !== undefined && (await present(a.creates))) return { changes: [], msg: `Did not run command since '${a.creates}' exists`, result: { rc: 0, stdout: `skipped, since ${a.creates} exists`, cmd: display } };
      if (a.removes !== undefined && !(await present(a.removes))) return { changes: [], msg: `Did not run command since '${a.removes}' does not exist`, result: { rc: 0, stdout: `skipped, since ${a.removes} does not exist`, cmd: display } };
      if (ctx.check && a.creates === undefined && a.removes === undefined) {
        return { changes: [], skipped: true, msg: 'Command would have run if not in check mode (it has no creates or removes to predict its effect)' };
      }
      const stdin = a.stdin === undefined ? undefined : a.stdin + (a.stdin_add_newline ? '\n' : '');
      const started = Date.now();
      return {
        changes: [{ kind: 'exec', command, stdin, cwd: a.chdir }],
        msg: ctx.check ? `Command would have run if not in check mode: ${display}` : `would run: ${display}`,
        finish([out]) {
          const strip = (s: string) => (a.strip_empty_ends ? s.replace(/[\r\n]+$/, '') : s);
          const stdout = strip(out.stdout);
          const stderr = strip(out.stderr);
          const result: Record<string, unknown> = { rc: out.code, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr), cmd: a.argv ?? (name === 'shell' ? text : shlexWords(text!)), delta: `${(Date.now() - started) / 1000}s` };
          // Ansible's command ignores executable (since 2.4) and says so.
          if (name === 'command' && a.executable !== undefined) result.warnings = [`As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${a.executable}'.`];
          return out.code === 0
            ? { changed: true, msg: '', result }
            : { failed: true, changed: true, msg: `non-zero return code ${out.code}${stderr ? ': ' + stderr.split('\n').slice(-1)[0] : ''}`, result };
        },
      };
    },
  };
}

export const command = makeModule('command');
export const shell = makeModule('shell');
