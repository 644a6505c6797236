/**
 * How the engine talks to a host. One Connection per host for the whole run;
 * local and SSH share the shell scripts in shell.ts, so what the local tests
 * prove about reads and atomic writes holds over SSH too.
 */

/** Privilege escalation for one command (sudo). */
export interface Become {
  user: string;
  /** Sent on stdin behind a unique prompt; never logged. */
  password?: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  become?: Become;
  /** Run in this directory. */
  cwd?: string;
}

/** A command's outcome. A non-zero exit is data here; callers decide whether it is an error. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Who read a path (and so, with the same become, who makes it): a new file is theirs. */
export interface Reader {
  uid: number;
  gid: number;
  user: string;
  group: string;
}

/** What a host says about one path: absent, a directory, or a file with its bytes (owner and group by name and id). */
export type FileInfo =
  /** underFile: a path below a file, not a directory (the kernel's ENOTDIR). */
  | { state: 'absent'; reader?: Reader; underFile?: boolean }
  | { state: 'directory'; mode: string; owner: string; group: string; uid?: number; gid?: number }
  | { state: 'file'; mode: string; owner: string; group: string; uid?: number; gid?: number; content: Buffer }
  | { state: 'unreadable'; reason: string };

export interface WriteOptions {
  /** chmod argument: octal ('0644') or symbolic ('u=rw,g=r'). Default: keep the old file's, or 0666 & ~umask. */
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep the old file as `path.PID.YYYY-MM-DD@HH:MM:SS~` first. */
  backup?: boolean;
  /** A command run on the temp file before it replaces the old one; `%s` is the temp path. */
  validate?: string;
  /** Create missing parent directories. */
  makeParents?: boolean;
  /** What the caller's plan was made from: the write fails with StaleWrite when the file is no longer that. */
  base?: { state: 'absent' } | { state: 'file'; sha256: string };
  /** Write to a symlink's target, keeping the link. */
  follow?: boolean;
  /** Fail, writing nothing, when the path is a symlink (a merged write of tasks that differ in follow). */
  notSymlink?: boolean;
  become?: Become;
}

export interface WriteResult {
  backupFile?: string;
}

/** One file of a batch of writes (see Connection.writeFiles). */
export interface BatchWrite {
  path: string;
  content: Buffer;
  opts: WriteOptions;
  /**
   * Writes of one group go on after a failed one (the items of one loop);
   * a failure stops every later group.
   */
  group: number;
}

/** What became of one write of a batch. */
export type BatchWriteResult =
  | { state: 'written'; backupFile?: string }
  | { state: 'failed'; msg: string; stale: boolean }
  | { state: 'not run' };

/** The connection kind of a host without ansible_connection: local for `localhost`, else ssh (Ansible's). */
export function defaultConnectionKind(host: string): 'local' | 'ssh' {
  return host === 'localhost' ? 'local' : 'ssh';
}

export interface Connection {
  /** Inventory name of the host. */
  readonly host: string;
  /** The user commands run as when there is no become (the login user). */
  readonly user: string;
  /** Commands sent to the host so far (the JSON report shows it). */
  readonly commandsSent: number;
  /** The host is the controller itself (a local connection): lookups read what its tasks write, at once. */
  readonly onController?: boolean;
  /** Opens the connection; an unreachable host throws ConnectionError. */
  connect(): Promise<void>;
  /**
   * Settles once connect() is under way on the network (its first packet sent, or its
   * attempt failed before): what an early connection waits for, not the handshake.
   */
  readonly dialed?: Promise<void>;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Reads many paths in one round trip. */
  readFiles(paths: string[], become?: Become): Promise<Map<string, FileInfo>>;
  /** Replaces a file atomically: temp file beside it, old mode and owner kept, verified, renamed. */
  writeFile(path: string, content: Buffer, opts?: WriteOptions): Promise<WriteResult>;
  /**
   * Many writes in one command (all with the become of the first), in order,
   * each as writeFile does it (temp file, verified, renamed); after a failed
   * write, only the writes of its own group still run. `allOrNothing`:
   * every temp file is made and verified before the first rename, so a
   * failure there writes nothing at all (groups do not apply).
   */
  writeFiles(writes: BatchWrite[], opts?: { allOrNothing?: boolean }): Promise<BatchWriteResult[]>;
  /**
   * Takes the host's run lock (one writing run per host at a time) and holds
   * it until close(), or until the connection drops. Throws RunLocked when
   * another run holds it and waiting is not wanted or timed out.
   */
  lock(opts: RunLockOptions): Promise<void>;
  /** Lets go of the run lock, if held. */
  unlock(): void;
  close(): Promise<void>;
}

export interface RunLockOptions {
  /** Who we are, shown to a run that finds the lock taken. */
  holder: string;
  /** Lock name on the host (one lock per inventory host). */
  name: string;
  /** Seconds to wait for another run's lock; 0 fails at once. */
  waitSeconds: number;
  /** Called once when the lock is taken by someone else and we wait. */
  onBusy?(holder: string): void;
}

/** Another run holds the host's run lock. */
export class RunLocked extends Error {}

/** The file changed on the host after the plan was made: nothing was written; plan again. */
export class StaleWrite extends Error {}
