/**
 * Picks the connection for a host from its variables: `local`, or `ssh` (the
 * default). The concrete connection (and ssh2, ssh-config) is loaded when the
 * host is first connected, so a run that needs no SSH never loads them.
 */
import { ConnectionError } from '../errors.ts';
import type { Lookup } from '../util/lookup.ts';
import type { SshSettings } from './ssh-target.ts';
import type { BatchWrite, BatchWriteResult, Become, Connection, ExecOptions, ExecResult, FileInfo, RunLockOptions, WriteOptions, WriteResult } from './types.ts';

export function connectionFactory(settings: SshSettings = {}): (host: string, vars: Lookup) => Connection {
  return (host, vars) => {
    const kind = String(vars('ansible_connection') ?? (host === 'localhost' ? 'local' : 'ssh'));
    if (kind === 'local') return new Deferred(host, async () => new (await import('./local.ts')).LocalConnection(host));
    if (kind === 'ssh' || kind === 'paramiko' || kind === 'smart') {
      return new Deferred(host, async () => {
        const [{ SshConnection }, { resolveTarget }] = await Promise.all([import('./ssh.ts'), import('./ssh-target.ts')]);
        return new SshConnection(resolveTarget(host, vars, settings));
      });
    }
    throw new ConnectionError(`${host}: ansible_connection '${kind}' is not supported (use ssh or local)`);
  };
}

/** A connection made on connect(): every call goes to it. */
class Deferred implements Connection {
  private real?: Connection;

  constructor(readonly host: string, private readonly make: () => Promise<Connection>) {}

  private get conn(): Connection {
    if (!this.real) throw new ConnectionError(`${this.host}: not connected`);
    return this.real;
  }

  get user(): string {
    return this.conn.user;
  }

  get commandsSent(): number {
    return this.real?.commandsSent ?? 0;
  }

  async connect(): Promise<void> {
    this.real ??= await this.make();
    await this.real.connect();
  }

  exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
    return this.conn.exec(command, opts);
  }

  readFiles(paths: string[], become?: Become): Promise<Map<string, FileInfo>> {
    return this.conn.readFiles(paths, become);
  }

  writeFile(path: string, content: Buffer, opts?: WriteOptions): Promise<WriteResult> {
    return this.conn.writeFile(path, content, opts);
  }

  writeFiles(writes: BatchWrite[], opts?: { allOrNothing?: boolean }): Promise<BatchWriteResult[]> {
    return this.conn.writeFiles(writes, opts);
  }

  lock(opts: RunLockOptions): Promise<void> {
    return this.conn.lock(opts);
  }

  unlock(): void {
    this.real?.unlock();
  }

  async close(): Promise<void> {
    await this.real?.close();
  }
}
