/**
 * Write-behind: the file writes of consecutive tasks on a host go out
 * together, in one command, when something needs the host again (a command,
 * a read, a task that cannot wait) or the engine asks (handlers, a block
 * with rescue, the end of a play). Each file is still written atomically
 * and verified; a failed write stops the writes of later tasks, and the
 * engine blames the task it belongs to (see Engine.release).
 *
 * The queue sits in front of the host's connection: every other use of the
 * connection sends the queued writes first, so nothing on the host is done
 * out of order.
 */
import type { BatchWrite, Become, Connection, ExecOptions, ExecResult, FileInfo, RunLockOptions, WriteOptions, WriteResult, BatchWriteResult } from '../connection/types.ts';

/** One queued write: which task (and loop item) it belongs to. */
export interface QueuedWrite extends BatchWrite {
  taskId: number;
  item: number;
}

/** Where a host's queued writes failed: the task, its failed items and why. */
export interface WriteFailure {
  taskId: number;
  /** Loop item index -> message (-1: a task without loop). */
  items: Map<number, string>;
  /** The connection went away while the writes were sent: their fate is unknown. */
  unreachable?: boolean;
  /** The file changed on the host after it was read (nothing of this task on was written): plan again. */
  stale?: boolean;
  /** Some writes of the task (earlier loop items) are on the host. */
  partial?: boolean;
}

/** A queued write of an earlier task failed: the task that asked for the host does not run there. */
export class HostDropped extends Error {
  constructor(host: string) {
    super(`${host}: an earlier write failed`);
  }
}

/**
 * A connection in front of another: every command, read and write waits for
 * `before()` first (sending queued writes); the rest goes straight through.
 */
abstract class InFront implements Connection {
  constructor(protected readonly conn: Connection) {}

  protected abstract before(): Promise<void>;

  get host(): string {
    return this.conn.host;
  }

  get user(): string {
    return this.conn.user;
  }

  get commandsSent(): number {
    return this.conn.commandsSent;
  }

  get onController(): boolean {
    return Boolean(this.conn.onController);
  }

  async connect(): Promise<void> {
    await this.conn.connect();
  }

  async exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
    await this.before();
    return this.conn.exec(command, opts);
  }

  async readFiles(paths: string[], become?: Become): Promise<Map<string, FileInfo>> {
    await this.before();
    return this.conn.readFiles(paths, become);
  }

  async writeFile(path: string, content: Buffer, opts?: WriteOptions): Promise<WriteResult> {
    await this.before();
    return this.conn.writeFile(path, content, opts);
  }

  async writeFiles(writes: BatchWrite[], opts?: { allOrNothing?: boolean }): Promise<BatchWriteResult[]> {
    await this.before();
    return this.conn.writeFiles(writes, opts);
  }

  lock(opts: RunLockOptions): Promise<void> {
    return this.conn.lock(opts);
  }

  unlock(): void {
    this.conn.unlock();
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

export class WriteBehind extends InFront {
  private queue: QueuedWrite[] = [];
  private flushing?: Promise<void>;
  /** Set once a queued write failed; the host runs nothing more (but the rest of that task's loop, as Ansible). */
  failure?: WriteFailure;
  /** The task running on the host now. */
  current?: number;

  protected before(): Promise<void> {
    return this.flush();
  }

  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** After a stale write: the engine plans the host's tasks again from fresh reads. */
  clearStale(): void {
    if (this.failure?.stale) this.failure = undefined;
  }

  /** Queues a write; it is sent at the next flush. */
  private get dropped(): boolean {
    return this.failure !== undefined && this.failure.taskId !== this.current;
  }

  add(w: QueuedWrite): void {
    if (this.dropped) throw new HostDropped(this.host);
    this.queue.push(w);
  }

  /**
   * Sends the queued writes: one command per run of writes with the same
   * become user. After a failure, throws HostDropped (the failure is in
   * `failure`); a lost connection is kept as the failure of the first
   * unsent write and rethrown.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.dropped) throw new HostDropped(this.host);
    if (this.queue.length === 0) return;
    const writes = this.queue;
    this.queue = [];
    this.flushing = this.send(writes);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    if (this.dropped) throw new HostDropped(this.host);
  }

  private async send(writes: QueuedWrite[]): Promise<void> {
    let i = 0;
    while (i < writes.length) {
      const who = becomeKey(writes[i].opts.become);
      let j = i;
      while (j < writes.length && becomeKey(writes[j].opts.become) === who) j++;
      const run = writes.slice(i, j);
      let results: BatchWriteResult[] | undefined;
      try {
        results = await this.coalesced(run);
        results ??= await this.conn.writeFiles(run);
      } catch (e) {
        this.failure = { taskId: run[0].taskId, items: new Map([[run[0].item, (e as Error).message]]), unreachable: true };
        throw e;
      }
      run.forEach((w, k) => {
        const r = results[k];
        if (r.state !== 'failed') return;
        this.failure ??= { taskId: w.taskId, items: new Map(), stale: r.stale, partial: run.some((x, j) => x.taskId === w.taskId && results[j].state === 'written') };
        if (this.failure.taskId === w.taskId) this.failure.items.set(w.item, r.msg);
      });
      if (this.dropped || results.some((r) => r.state === 'not run')) return;
      i = j;
    }
  }

  /**
   * The writes as one all-or-nothing step (the cheapest on the host), each
   * file once with what the last task editing it left. When that fails
   * before anything was renamed (a missing directory, a file changed
   * meanwhile, a bad owner), the writes go again one by one, so that the
   * failure is found at the task that met it first, exactly as without
   * merging. Undefined: a write that must run on its own (validate, backup,
   * parents to make for a new file).
   */
  private async coalesced(run: QueuedWrite[]): Promise<BatchWriteResult[] | undefined> {
    const byPath = new Map<string, QueuedWrite[]>();
    for (const w of run) byPath.set(w.path, [...(byPath.get(w.path) ?? []), w]);
    // Parents to make are only a question for a file that was absent (a failure after mkdir would leave them).
    if (run.some((w) => w.opts.validate || w.opts.backup || (w.opts.makeParents && w.opts.base?.state !== 'file'))) return undefined;
    // Each file once, where its last write was, from the base its first write was planned on.
    const last = (ws: QueuedWrite[], key: 'mode' | 'owner' | 'group') => ws.reduce<string | undefined>((v, w) => w.opts[key] ?? v, undefined);
    const paths = [...byPath.keys()].sort((a, b) => run.lastIndexOf(byPath.get(a)!.at(-1)!) - run.lastIndexOf(byPath.get(b)!.at(-1)!));
    const merged = paths.map((p) => {
      const ws = byPath.get(p)!;
      const final = ws.at(-1)!;
      // Tasks that differ in following a symlink (copy and lineinfile) agree when the path is no symlink; else it goes one by one.
      const mixed = ws.some((w) => Boolean(w.opts.follow) !== Boolean(ws[0].opts.follow));
      const opts = {
        ...final.opts,
        base: ws[0].opts.base,
        makeParents: ws[0].opts.makeParents,
        mode: last(ws, 'mode'),
        owner: last(ws, 'owner'),
        group: last(ws, 'group'),
        ...(mixed ? { follow: false, notSymlink: true } : {}),
      };
      return { path: p, content: final.content, group: final.group, opts };
    });
    const results = await this.conn.writeFiles(merged, { allOrNothing: true });
    if (!results.some((r) => r.state === 'written')) return undefined;
    // Something was renamed before a failure (a file changed during the run): each write gets its file's fate.
    const fate = new Map(paths.map((p, k) => [p, results[k]]));
    return run.map((w) => {
      const r = fate.get(w.path)!;
      return r.state === 'failed' && byPath.get(w.path)![0] !== w ? { state: 'not run' } : r;
    });
  }
}

function becomeKey(b: Become | undefined): string {
  return b ? `${b.user}\0${b.password ?? ''}` : '';
}

/**
 * A host's connection as another user (a task's remote_user): the host's
 * queued writes are sent before each of its commands, so that it sees them.
 * The run lock is the host's own connection's.
 */
export class BehindQueue extends InFront {
  constructor(private readonly queue: WriteBehind, conn: Connection) {
    super(conn);
  }

  protected before(): Promise<void> {
    return this.queue.flush();
  }

  override lock(): Promise<void> {
    return Promise.resolve();
  }

  override unlock(): void {}
}
