/** The local connection (`ansible_connection: local`): commands run through zx on this machine. */
import { userInfo } from 'node:os';
import { $ } from 'zx';
import { ShellConnection, type RemoteProcess } from './shell.ts';

export class LocalConnection extends ShellConnection {
  constructor(host: string) {
    super(host, userInfo().username);
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.releaseLock();
  }

  protected async spawn(command: string): Promise<RemoteProcess> {
    // Its own process group: a Ctrl-C in the terminal stops jitsi-fleet starting tasks, not the command running now.
    const p = $({ quiet: true, nothrow: true, verbose: false, detached: true, stdio: ["pipe", "pipe", "pipe"] })`/bin/sh -c ${command}`;
    return {
      stdin: p.stdin,
      stdout: p.stdout,
      stderr: p.stderr,
      done: p.then((o) => ({ code: o.exitCode, signal: o.signal })),
    };
  }
}
