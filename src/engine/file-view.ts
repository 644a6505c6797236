/**
 * A host's files as the run sees them. A file is read once and reused until
 * a task writes it; in check mode a planned write stands in for the host's
 * content, so later tasks plan against what earlier tasks would have left.
 * What a file reads as depends on who reads it (a root-only file): entries
 * are kept per path and effective user (the become user, or the login user).
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

  private key(path: string, become?: Become): string {
    return `${become?.user ?? this.conn.user}\0${path}`;
  }

  /** Reads paths not yet known, all in one round trip. */
  async prefetch(paths: string[], become?: Become): Promise<void> {
    const missing = [...new Set(paths)].filter((p) => !this.known.has(this.key(p, become)) && !this.pending.has(this.key(p, become)));
    if (missing.length === 0) return;
    const batch = this.conn.readFiles(missing, become);
    for (const p of missing) {
      const one = batch.then((m) => m.get(p)!);
      one.catch(() => {}); // the caller of prefetch sees the error; get() re-reads
      this.pending.set(this.key(p, become), one);
    }
    try {
      const got = await batch;
      for (const [p, info] of got) this.known.set(this.key(p, become), info);
    } finally {
      for (const p of missing) this.pending.delete(this.key(p, become));
    }
  }

  async get(path: string, become?: Become): Promise<FileInfo> {
    const hit = this.known.get(this.key(path, become));
    if (hit) return hit;
    const inflight = this.pending.get(this.key(path, become));
    if (inflight) return inflight;
    await this.prefetch([path], become);
    return this.known.get(this.key(path, become))!;
  }

  /** Records what a path now holds (after a write, or as planned in check mode), for whoever wrote it; others read it again. */
  record(path: string, info: FileInfo, become?: Become): void {
    this.forget(path);
    this.known.set(this.key(path, become), info);
  }

  /** Forgets a path for every user (after a command that may have changed it), or everything. */
  forget(path?: string): void {
    if (path === undefined) this.known.clear();
    else for (const k of [...this.known.keys()]) if (k.endsWith(`\0${path}`)) this.known.delete(k);
  }
}
