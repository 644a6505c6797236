/**
 * A host's files as the run sees them. A file is read once and reused until
 * a task writes it; in check mode a planned write stands in for the host's
 * content, so later tasks plan against what earlier tasks would have left.
 */
import type { Become, Connection, FileInfo } from '../connection/types.ts';

export class FileView {
  private readonly known = new Map<string, FileInfo>();
  private readonly pending = new Map<string, Promise<FileInfo>>();

  /**
   * In check mode: the name of an earlier task whose commands were not run
   * (a package install, say), so files it would create cannot be known.
   */
  unsureSince?: string;

  constructor(private readonly conn: Connection) {}

  /** Reads paths not yet known, all in one round trip. */
  async prefetch(paths: string[], become?: Become): Promise<void> {
    const missing = [...new Set(paths)].filter((p) => !this.known.has(p) && !this.pending.has(p));
    if (missing.length === 0) return;
    const batch = this.conn.readFiles(missing, become);
    for (const p of missing) {
      const one = batch.then((m) => m.get(p)!);
      one.catch(() => {}); // the caller of prefetch sees the error; get() re-reads
      this.pending.set(p, one);
    }
    try {
      const got = await batch;
      for (const [p, info] of got) this.known.set(p, info);
    } finally {
      for (const p of missing) this.pending.delete(p);
    }
  }

  async get(path: string, become?: Become): Promise<FileInfo> {
    const hit = this.known.get(path);
    if (hit) return hit;
    const inflight = this.pending.get(path);
    if (inflight) return inflight;
    await this.prefetch([path], become);
    return this.known.get(path)!;
  }

  /** Records what a path now holds (after a write, or as planned in check mode). */
  record(path: string, info: FileInfo): void {
    this.known.set(path, info);
  }

  /** Forgets a path (after a command that may have changed it). */
  forget(path?: string): void {
    if (path === undefined) this.known.clear();
    else this.known.delete(path);
  }
}
