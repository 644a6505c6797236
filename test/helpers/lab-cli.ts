/** Runs the CLI (or any command) on the controller side of a lab: inside its network namespace. */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Lab } from '../lab/lab.ts';
import { BIN, ROOT, type CliResult } from './cli.ts';

/** HOME for the controller: its ~/.ssh/known_hosts is the lab's own. */
export async function labHome(lab: Lab): Promise<string> {
  const home = path.join(lab.dir, 'home');
  await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  return home;
}

export function inLab(lab: Lab, cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; onStdout?: (chunk: string) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [ip, ...rest] = lab.controllerPrefix();
    const child = spawn(ip, [...rest, cmd, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, CI: 'true', HOME: path.join(lab.dir, 'home'), SSH_AUTH_SOCK: '', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(String(d));
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}

export function fleetInLab(lab: Lab, args: string[], opts: { env?: Record<string, string>; cwd?: string; onStdout?: (chunk: string) => void } = {}): Promise<CliResult> {
  return inLab(lab, process.execPath, [BIN, ...args], opts);
}
