/**
 * The local connection (`ansible_connection: local`): commands run in
 * /bin/sh on this machine (node's child_process: zx costs start-up time a
 * run does not need).
 */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { ShellConnection, type RemoteProcess } from './shell.ts';

export class LocalConnection extends ShellConnection {
  readonly onController = true;

  constructor(host: string) {
    super(host, userInfo().username);
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.releaseLock();
  }

  protected async spawn(command: string): Promise<RemoteProcess> {
    // Its own process group: a Ctrl-C in the terminal stops jitsi-fleet starting tasks, not the command running now.
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = new Promise<{ code: number | null; signal?: string | null }>((resolve) => {
      child.on('error', () => resolve({ code: 127, signal: null }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, done };
  }
}
