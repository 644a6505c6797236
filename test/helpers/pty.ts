/**
 * Runs the CLI in a pseudo-terminal (util-linux `script`), as a person runs
 * it: the live listr2 view, colours, and Ctrl-C typed as a key.
 */
import { spawn } from 'node:child_process';
import { BIN } from './cli.ts';

export interface PtyResult {
  code: number;
  /** Everything the terminal showed, escape codes included. */
  screen: string;
  /** The same without escape codes. */
  text: string;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `jitsi-fleet ARGS` in a 120x40 terminal; `ctrlC` types Ctrl-C after that many ms, or, with
 * `ctrlCWhen`, once the screen shows that text (at the latest `ctrlC` ms after it would have: a loaded
 * machine shows it late).
 */
export function inPty(args: string[], opts: { cwd?: string; env?: Record<string, string>; ctrlC?: number; ctrlCWhen?: RegExp; prefix?: string[] } = {}): Promise<PtyResult> {
  const cmd = `stty cols 120 rows 40; exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`;
  const [exe, ...rest] = [...(opts.prefix ?? []), 'script', '-qefc', cmd, '/dev/null'];
  return new Promise((resolve, reject) => {
    const child = spawn(exe, rest, {
      cwd: opts.cwd,
      env: { ...process.env, CI: '', TERM: 'xterm-256color', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let typed = false;
    const ctrlC = () => {
      if (typed) return;
      typed = true;
      child.stdin.write('\x03');
    };
    const seen = (d: Buffer) => {
      screen += d;
      if (opts.ctrlCWhen && !typed && opts.ctrlCWhen.test(screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''))) setTimeout(ctrlC, 100);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('error', reject);
    if (opts.ctrlC !== undefined) setTimeout(ctrlC, opts.ctrlCWhen ? opts.ctrlC * 4 : opts.ctrlC);
    child.on('close', (code) => {
      const text = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b\][^\x07]*\x07/g, '').replace(/\r/g, '');
      resolve({ code: code ?? -1, screen, text });
    });
  });
}

/** What a Node stack trace looks like in output. */
export const STACK_TRACE = /\n\s+at (?:async )?\S+ \(?(?:file:|node:|\/)[^\n]*:\d+:\d+\)?/;
