/** An in-memory host for unit tests of planning logic (never for end-to-end proof). */
import type { BatchWrite, BatchWriteResult, Connection, ExecResult, FileInfo, WriteOptions, WriteResult } from '../../src/connection/types.ts';

export class MemoryHost implements Connection {
  readonly files = new Map<string, FileInfo>();
  commandsSent = 0;
  /** The login user. */
  user = 'root';
  /** Paths only root can read (what a non-root login user sees as unreadable). */
  readonly rootOnly = new Set<string>();
  /** What a command answers (default: success, no output). */
  answer: (command: string) => ExecResult = () => ({ code: 0, stdout: '', stderr: '' });
  readonly writes: string[] = [];
  readonly commands: string[] = [];
  /** Every use of the host, in order: `exec <command>`, `read <paths>`, `write <path>`, `batch <paths>`. */
  readonly log: string[] = [];

  constructor(readonly host = 'mem', initial: Record<string, string> = {}) {
    for (const [p, c] of Object.entries(initial)) this.put(p, c);
  }

  put(path: string, content: string, mode = '0644'): void {
    this.files.set(path, { state: 'file', content: Buffer.from(content), mode, owner: 'root', group: 'root' });
  }

  text(path: string): string | undefined {
    const f = this.files.get(path);
    return f?.state === 'file' ? f.content.toString() : undefined;
  }

  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  /** One process here: the run lock is always free. */
  async lock(): Promise<void> {}
  unlock(): void {}

  async exec(command: string): Promise<ExecResult> {
    this.commandsSent++;
    this.commands.push(command);
    this.log.push(`exec ${command}`);
    return this.answer(command);
  }

  async readFiles(paths: string[], become?: { user: string }): Promise<Map<string, FileInfo>> {
    this.commandsSent++;
    this.log.push(`read ${paths.join(' ')}`);
    this.reads.push({ paths, as: become?.user ?? this.user });
    const who = become?.user ?? this.user;
    return new Map(paths.map((p) => [p, this.rootOnly.has(p) && who !== 'root' ? { state: 'unreadable', reason: 'permission denied' } : (this.files.get(p) ?? { state: 'absent' })]));
  }

  /** Every read: which paths, as whom. */
  readonly reads: { paths: string[]; as: string }[] = [];

  async writeFile(path: string, content: Buffer, opts: WriteOptions = {}): Promise<WriteResult> {
    this.commandsSent++;
    this.log.push(`write ${path}`);
    this.writes.push(path);
    const old = this.files.get(path);
    this.files.set(path, { state: 'file', content, mode: opts.mode ?? (old?.state === 'file' ? old.mode : '0644'), owner: 'root', group: 'root' });
    return {};
  }

  /** Paths whose write fails (the batch tests). */
  readonly refuse = new Set<string>();
  /** Each batch: the paths it held. */
  readonly batches: string[][] = [];

  async writeFiles(writes: BatchWrite[], opts: { allOrNothing?: boolean } = {}): Promise<BatchWriteResult[]> {
    this.commandsSent++;
    this.batches.push(writes.map((w) => w.path));
    this.log.push(`${opts.allOrNothing ? 'all-or-nothing' : 'batch'} ${writes.map((w) => w.path).join(' ')}`);
    const refused = writes.findIndex((w) => this.refuse.has(w.path));
    if (opts.allOrNothing && refused >= 0) {
      return writes.map((w, i) => (i === refused ? { state: 'failed', stale: false, msg: `writing ${w.path} failed: refused` } : { state: 'not run' }));
    }
    let stopGroup: number | undefined;
    return writes.map((w) => {
      if (stopGroup !== undefined && w.group !== stopGroup) return { state: 'not run' };
      if (this.refuse.has(w.path)) {
        stopGroup ??= w.group;
        return { state: 'failed', stale: false, msg: `writing ${w.path} failed: refused` };
      }
      this.writes.push(w.path);
      const old = this.files.get(w.path);
      this.files.set(w.path, { state: 'file', content: w.content, mode: w.opts.mode ?? (old?.state === 'file' ? old.mode : '0644'), owner: 'root', group: 'root' });
      return { state: 'written' };
    });
  }
}
