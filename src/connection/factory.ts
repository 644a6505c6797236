/**
 * Picks the connection for a host from its variables: `local`, or `ssh` (the
 * default). The concrete connection (and ssh2, ssh-config) is loaded when the
 * host is first connected, so a run that needs no SSH never loads them.
 */
import { ConnectionError } from '../errors.ts';
import type { Lookup } from '../util/lookup.ts';
import { persistSeconds } from './persist-setting.ts';
import type { SshSettings } from './ssh-target.ts';
import { defaultConnectionKind } from './types.ts';
import type { BatchWrite, BatchWriteResult, Become, Connection, ExecOptions, ExecResult, FileInfo, RunLockOptions, WriteOptions, WriteResult } from './types.ts';

/** Makes a host's connection; connects early what a run will ask for first. */
export interface ConnectionFactory {
  (host: string, vars: Lookup): Connection;
  /**
   * Starts connecting a host before the run asks for it (while the playbook is
   * still being read), with its settings as known then (inventory and -e). The
   * run's own request takes that connection when its settings come out the
   * same, else closes it and connects anew. A failure waits for that request.
   * Resolves once the connection is under way (its code loaded, its settings read).
   */
  early(host: string, vars: Lookup): Promise<void>;
  /** Closes the early connections no run took. */
  closeUnused(): Promise<void>;
}

/** What to connect: a key naming the settings, and how to make the connection. */
interface Plan {
  key: string;
  make(): Connection;
}

/** The host's connection kind: local, or ssh (paramiko and smart mean ssh here); another is refused. */
function kindOf(host: string, vars: Lookup): 'local' | 'ssh' {
  const kind = String(vars('ansible_connection') ?? defaultConnectionKind(host));
  if (kind === 'local') return 'local';
  if (kind === 'ssh' || kind === 'paramiko' || kind === 'smart') return 'ssh';
  throw new ConnectionError(`${host}: ansible_connection '${kind}' is not supported (use ssh or local)`);
}

export function connectionFactory(settings: SshSettings = {}): ConnectionFactory {
  // Kept connections (connection/persist.ts): how long, and where; a bad value is refused before the run.
  const persist = persistSeconds();
  // Worked out once, for the first SSH host (a folder made and checked), not per host.
  let socket: { path?: string } | undefined;
  const plan = async (host: string, vars: Lookup): Promise<Plan> => {
    if (kindOf(host, vars) === 'local') {
      const { LocalConnection } = await import('./local.ts');
      return { key: 'local', make: () => new LocalConnection(host) };
    }
    const [{ SshConnection }, { resolveTarget }, { PersistentSsh, persistSocket }] = await Promise.all([import('./ssh.ts'), import('./ssh-target.ts'), import('./persist.ts')]);
    const target = resolveTarget(host, vars, settings);
    const { path } = (socket ??= { path: persist > 0 ? persistSocket() : undefined });
    return { key: JSON.stringify(target), make: () => (path ? new PersistentSsh(target, path, persist) : new SshConnection(target)) };
  };
  const earlyOnes = new Map<string, { key: Promise<string>; conn: Deferred }>();
  const factory = (host: string, vars: Lookup): Connection => {
    kindOf(host, vars); // an unsupported kind is refused now, as before
    const early = earlyOnes.get(host);
    earlyOnes.delete(host);
    return new Deferred(host, async () => {
      const mine = await plan(host, vars);
      if (early && (await early.key.catch(() => undefined)) === mine.key) return early.conn;
      void early?.conn.close().catch(() => undefined);
      return mine.make();
    });
  };
  return Object.assign(factory, {
    async early(host: string, vars: Lookup): Promise<void> {
      if (earlyOnes.has(host)) return;
      const planned = plan(host, vars);
      const conn = new Deferred(host, async () => (await planned).make());
      earlyOnes.set(host, { key: planned.then((p) => p.key), conn });
      // Its failure is told when the run asks for the host (or never, if it does not).
      const connecting = conn.connect();
      connecting.catch(() => undefined);
      await planned.catch(() => undefined);
      // Until its first packet is out: the key and known_hosts are read before the playbook's
      // load holds the event loop, so the handshake's round trips go on during it.
      await Promise.race([conn.dialing(), connecting]).catch(() => undefined);
    },
    async closeUnused(): Promise<void> {
      const left = [...earlyOnes.values()];
      earlyOnes.clear();
      await Promise.all(left.map((e) => e.conn.close().catch(() => undefined)));
    },
  });
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

  get onController(): boolean {
    return Boolean(this.real?.onController);
  }

  private making?: Promise<Connection>;
  private connecting?: Promise<void>;

  /** Connects once: a second call waits for the first. */
  connect(): Promise<void> {
    this.connecting ??= (async () => {
      this.making ??= this.make();
      this.real = await this.making;
      await this.real.connect();
    })();
    return this.connecting;
  }

  /** Once the connection is under way on the network (see Connection.dialed). */
  async dialing(): Promise<void> {
    await (await this.making)?.dialed;
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

  /** Closes the connection, also one still connecting (its handshake is cut). */
  async close(): Promise<void> {
    const real = this.real ?? (await this.making?.catch(() => undefined));
    await real?.close();
  }
}
