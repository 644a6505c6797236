/**
 * SSH connections kept between runs, as Ansible keeps them (its ssh
 * connection's ControlPersist=60s): the first run starts a background
 * process that makes the connections and keeps each open until no run has
 * used it for JITSI_FLEET_PERSIST seconds (default 60, 0 turns it off); a
 * run within that time sends its commands through it, without the handshake
 * (on a small controller most of a no-change run's CPU, on both sides).
 *
 * One such process per user, network namespace and build, reached through a
 * Unix socket in a folder only the user can open (under XDG_RUNTIME_DIR,
 * else the temporary folder), as OpenSSH's ControlPath. A connection is kept
 * per target: every setting that makes the connection (address, user, keys,
 * known_hosts files, host key checking, jump hosts, agent socket) is part of
 * its identity, so a run with other settings gets a connection of its own.
 * Host keys are checked when the connection is made, as by a run. A command
 * finds its connection lost before it started: the connection is made anew
 * and the command sent on it; lost while it ran: the command fails as on a
 * run's own connection. Where the process cannot be started or reached, the
 * run connects itself. The commands and the secrets in them pass through the
 * process's memory only; it writes nothing but its socket and pid file.
 *
 * The socket speaks frames: a type byte, a 4-byte length, the bytes. From the
 * run: H (the request, JSON), I (stdin bytes), E (stdin ends). From the
 * process: O (stdout), R (stderr), X (the command's end, JSON), F (failure,
 * JSON: the connection error's message and hint).
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ConnectionError, isFleetError } from '../errors.ts';
import { ShellConnection, type RemoteProcess } from './shell.ts';
import type { SshConnection } from './ssh.ts';
import type { SshTarget } from './ssh-target.ts';

/** The socket of this user's, network namespace's and build's process; undefined where no safe folder can be had. */
export function persistSocket(): string | undefined {
  try {
    const uid = process.getuid?.() ?? 0;
    const dir = path.join(process.env.XDG_RUNTIME_DIR || tmpdir(), `jitsi-fleet-${uid}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    // Ours alone: another user who could open the socket would have our connections.
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
    const netns = /\d+/.exec(readlinkSync('/proc/self/ns/net'))?.[0] ?? 'net';
    const self = statSync(fileURLToPath(import.meta.url));
    return path.join(dir, `${netns}-${self.size}-${Math.trunc(self.mtimeMs)}.sock`);
  } catch {
    return undefined;
  }
}

// ---- frames ----

const frame = (type: string, body: Buffer | string): Buffer => {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
};

/** Calls `on` for each whole frame that arrives on `sock`. */
function readFrames(sock: Socket, on: (type: string, body: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 5 + len) break;
      const type = pending.toString('latin1', 0, 1);
      const body = pending.subarray(5, 5 + len);
      pending = pending.subarray(5 + len);
      on(type, body);
    }
  });
}

const failure = (e: unknown) => JSON.stringify({ message: (e as Error).message, ...(isFleetError(e) && e.hint ? { hint: e.hint } : {}) });
const asError = (body: Buffer) => {
  const f = JSON.parse(body.toString()) as { message: string; hint?: string };
  return new ConnectionError(f.message, f.hint ? { hint: f.hint } : undefined);
};

/** A socket to the process at `socketPath`; rejects when none answers there. */
const dial = (socketPath: string) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });

/** Listens on `socketPath`; rejects as listen does (EADDRINUSE: a socket file is there). */
const listen = (server: Server, socketPath: string) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

// ---- the run's side ----

let starting: Promise<void> | undefined;

/** Opens a socket to the process, starting it once if it is not there. */
async function reach(socketPath: string, seconds: number): Promise<Socket> {
  try {
    return await dial(socketPath);
  } catch {
    starting ??= (async () => {
      const bin = process.argv[1];
      if (!bin || !/jitsi-fleet(\.js)?$/.test(bin)) throw new Error('not started from the jitsi-fleet command');
      // Its own session (no terminal's Ctrl-C or hang-up reaches it), in / (it holds no folder of the run's).
      const child = spawn(process.execPath, [bin, '__persist', socketPath, String(seconds)], { detached: true, stdio: 'ignore', cwd: '/' });
      child.unref();
    })();
    await starting;
    // Its socket appears once it has loaded (a few hundred ms on a small machine).
    const until = Date.now() + 5000;
    for (;;) {
      try {
        return await dial(socketPath);
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 15));
      }
    }
  }
}

/** A host's SSH connection kept by the background process; the run's own SshConnection where that process is out of reach. */
export class PersistentSsh extends ShellConnection {
  private direct?: SshConnection;
  private readonly open = new Set<Socket>();
  private closed = false;
  private markDialed!: () => void;
  readonly dialed = new Promise<void>((resolve) => (this.markDialed = resolve));

  constructor(private readonly target: SshTarget, private readonly socketPath: string, private readonly seconds: number) {
    super(target.name, target.user);
  }

  /** Sends a request; resolves with the socket once it is sent. */
  private async request(req: Record<string, unknown>): Promise<Socket> {
    const sock = await reach(this.socketPath, this.seconds);
    if (this.closed) {
      sock.destroy();
      throw new ConnectionError(`${this.target.name}: the connection is closed`);
    }
    this.open.add(sock);
    sock.once('close', () => this.open.delete(sock));
    sock.write(frame('H', JSON.stringify({ ...req, target: this.target })));
    return sock;
  }

  async connect(): Promise<void> {
    let sock: Socket;
    try {
      sock = await this.request({ op: 'connect' });
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      // No background process to be had: this run connects itself.
      const { SshConnection } = await import('./ssh.ts');
      this.direct = new SshConnection(this.target);
      void this.direct.dialed.then(this.markDialed);
      return this.direct.connect();
    } finally {
      this.markDialed();
    }
    await new Promise<void>((resolve, reject) => {
      readFrames(sock, (type, body) => {
        if (type === 'X') resolve();
        else if (type === 'F') reject(asError(body));
      });
      sock.once('close', () => reject(new ConnectionError(`${this.target.name}: the process keeping SSH connections (JITSI_FLEET_PERSIST) ended`)));
      sock.on('error', () => undefined);
    }).finally(() => sock.destroy());
  }

  protected async spawn(command: string): Promise<RemoteProcess> {
    if (this.direct) return this.direct.spawn(command);
    const sock = await this.request({ op: 'exec', command });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const done = new Promise<{ code: number | null; signal?: string | null }>((resolve, reject) => {
      let ended = false;
      readFrames(sock, (type, body) => {
        if (type === 'O') stdout.write(body);
        else if (type === 'R') stderr.write(body);
        else if (type === 'X' || type === 'F') {
          ended = true;
          stdout.end();
          stderr.end();
          // After the data events of what was written above.
          setImmediate(() => (type === 'X' ? resolve(JSON.parse(body.toString())) : reject(asError(body))));
          sock.end();
        }
      });
      sock.on('error', () => undefined);
      sock.once('close', () => {
        if (ended) return;
        stdout.end();
        stderr.end();
        reject(new ConnectionError(`${this.target.name}: ${this.closed ? 'the connection was closed' : 'the process keeping SSH connections (JITSI_FLEET_PERSIST) ended'}`));
      });
    });
    done.catch(() => {});
    const stdin = new Writable({
      write(chunk: Buffer, _enc, cb) {
        sock.write(frame('I', chunk), () => cb());
      },
      final(cb) {
        sock.write(frame('E', ''), () => cb());
      },
    });
    return { stdin, stdout, stderr, done };
  }

  async close(): Promise<void> {
    this.releaseLock();
    this.closed = true;
    // The process ends each command's channel when its socket goes; the connection stays kept.
    for (const s of this.open) s.destroy();
    this.open.clear();
    await this.direct?.close();
  }
}

// ---- the background process ----

/** Keeps connections for runs until none was used for `seconds`; then ends. */
export async function persistDaemon(socketPath: string, seconds: number): Promise<number> {
  const { SshConnection } = await import('./ssh.ts');
  const conns = new Map<string, Promise<SshConnection>>();
  let clients = 0;
  let timer: NodeJS.Timeout | undefined;
  let server: Server;
  const end = () => {
    server.close();
    rmSync(socketPath, { force: true });
    rmSync(`${socketPath}.pid`, { force: true });
    for (const c of conns.values()) void c.then((x) => x.close(), () => undefined);
    setTimeout(() => process.exit(0), 200).unref();
  };
  const idle = () => {
    clearTimeout(timer);
    if (clients === 0) timer = setTimeout(end, seconds * 1000);
  };
  /** The target's connection, made (again, when `fresh` or lost) as a run makes it. */
  const connection = (target: SshTarget, fresh = false): Promise<SshConnection> => {
    const key = JSON.stringify(target);
    const kept = conns.get(key);
    if (kept && !fresh) {
      return kept.then(
        (c) => (c.alive ? c : connection(target, true)),
        () => connection(target, true),
      );
    }
    void kept?.then((c) => c.close(), () => undefined);
    const made = (async () => {
      const c = new SshConnection(target);
      await c.connect();
      return c;
    })();
    conns.set(key, made);
    // A connection that could not be made is not kept: the next run tries again.
    made.catch(() => conns.get(key) === made && conns.delete(key));
    return made;
  };
  const serve = (sock: Socket) => {
    clients++;
    clearTimeout(timer);
    let proc: RemoteProcess | undefined;
    const early: [string, Buffer][] = [];
    sock.on('error', () => undefined);
    sock.once('close', () => {
      clients--;
      // The run went (ended, Ctrl-C, crashed): its command's channel is closed, so the host's shell sees its input end.
      // (an ssh2 channel's destroy() ends it and sends its close)
      proc?.stdin.destroy();
      idle();
    });
    const toProc = (type: string, body: Buffer) => {
      if (!proc) early.push([type, body]);
      else if (type === 'I') proc.stdin.write(body);
      else if (type === 'E') proc.stdin.end();
    };
    readFrames(sock, (type, body) => {
      if (type !== 'H') return toProc(type, body);
      const req = JSON.parse(body.toString()) as { op: string; target: SshTarget; command?: string };
      void (async () => {
        try {
          if (req.op === 'connect') {
            await connection(req.target);
            sock.end(frame('X', '{}'));
            return;
          }
          let conn = await connection(req.target);
          try {
            proc = await conn.spawn(req.command!);
          } catch {
            // Lost before the command started (the host restarted, the network dropped): once more on a new connection.
            conn = await connection(req.target, true);
            proc = await conn.spawn(req.command!);
          }
          proc.stdout.on('data', (d: Buffer) => sock.write(frame('O', d)));
          proc.stderr.on('data', (d: Buffer) => sock.write(frame('R', d)));
          proc.stdin.on('error', () => undefined);
          for (const [t, b] of early.splice(0)) toProc(t, b);
          const result = await proc.done;
          sock.end(frame('X', JSON.stringify(result)));
        } catch (e) {
          sock.end(frame('F', failure(e)));
        }
      })();
    });
  };
  server = createServer(serve);
  await listen(server, socketPath).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    // Another one answers there: it serves. A socket file nobody answers on is left from a crash: replaced.
    const other = await dial(socketPath).catch(() => undefined);
    if (other) {
      other.destroy();
      process.exit(0);
    }
    rmSync(socketPath, { force: true });
    server = createServer(serve);
    await listen(server, socketPath);
  });
  writeFileSync(`${socketPath}.pid`, `${process.pid}\n`);
  process.on('SIGTERM', end);
  process.on('SIGHUP', () => undefined);
  idle();
  // Runs until end() exits.
  await new Promise(() => undefined);
  return 0;
}
