/**
 * The verdict cache of `validate`: a run's output and exit code, kept with a
 * record of everything the run read, and replayed by a later run with the
 * same command line only if every one of those reads would give the same
 * answer now. So a second `validate` of an unchanged project answers in the
 * time of a few file reads instead of parsing and checking everything again
 * (as ccache, Bazel's action cache or `eslint --cache`, with the inputs found
 * by watching the run rather than declared).
 *
 * What a run reads is watched at the source, not listed by hand: while a
 * recorded run goes, every function of node:fs (sync, callback, promises),
 * process.env, the user facts of node:os and child_process is wrapped. Reads
 * (readFile, stat, lstat, access, exists, readdir, realpath, readlink) are
 * recorded with a digest of their answer (the bytes' hash, the error's code,
 * a listing, a stat's type, mode, size and time); anything else (a spawned
 * process, an open file descriptor, a write, a change of folder, stdin) makes
 * the run one whose verdict is not kept. The key covers what is not read
 * through those: the build (the bundle's size and time), Node's version, the
 * folder, the arguments, and whether stdout and stderr are terminals (and
 * their width). A wrong "ok" is worse than a slow one: whatever is in doubt
 * misses.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import childProcess from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One read: the operation (a sync fs name), the absolute path, its options as JSON, the digest of the answer. */
type Input = [op: string, file: string, options: string, digest: string];

/** What a kept verdict holds. */
export interface Verdict {
  v: typeof FORMAT;
  inputs: Input[];
  /** Environment variables read: a digest of their values then (null: unset; never the value, which may be a secret). '*' is the digest of the whole environment (it was listed). */
  env: Record<string, string | null>;
  /** Answers of node:os functions (homedir, userInfo, hostname, tmpdir). */
  os: Record<string, string>;
  /** What the run wrote, in order: [1 for stdout or 2 for stderr, the bytes in base64]. */
  output: [1 | 2, string][];
  code: number;
}

const FORMAT = 1;
/** Verdicts kept per user; the oldest go first. */
const KEEP = 200;

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex').slice(0, 32);

/** Where verdicts are kept: the user's cache folder (XDG), never the install (another user's output stays theirs). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'jitsi-fleet', 'validate');
}

/** The key of a command line: the build, Node, the folder, the arguments, the terminals. */
export function verdictKey(build: string, argv: string[]): string {
  const tty = (s: NodeJS.WriteStream) => (s.isTTY ? `tty:${s.columns ?? ''}` : 'no');
  return sha(JSON.stringify([FORMAT, build, process.version, process.cwd(), argv, tty(process.stdout), tty(process.stderr)]));
}

function digestValue(v: unknown): string {
  if (typeof v === 'string') return 's' + sha(v);
  if (Buffer.isBuffer(v)) return 'b' + sha(v);
  if (v === undefined) return 'u';
  if (v instanceof fs.Stats || (v && typeof v === 'object' && 'isFile' in v && 'mtimeMs' in v)) {
    const s = v as fs.Stats;
    const type = s.isFile() ? 'f' : s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : 'o';
    return `${type}:${s.mode}:${s.size}:${s.mtimeMs}`;
  }
  if (Array.isArray(v)) return 'a' + sha(JSON.stringify(v.map((e) => (e instanceof fs.Dirent ? [e.name, e.isFile(), e.isDirectory(), e.isSymbolicLink()] : String(e)))));
  return 'j' + sha(JSON.stringify(v) ?? String(v));
}

const digestError = (e: unknown) => 'E' + String((e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message);

/** The sync fs function that answers each recorded read again. */
const READS: Record<string, (p: string, o: unknown) => unknown> = {
  // Never a pipe or a device (a run that read one was not kept; one that is one now is no longer the file it was).
  readFile: (p, o) => {
    const s = fs.statSync(p);
    return s.isFile() || s.isDirectory() ? fs.readFileSync(p, o as never) : Symbol('not a file');
  },
  stat: (p, o) => fs.statSync(p, o as never),
  lstat: (p, o) => fs.lstatSync(p, o as never),
  access: (p, o) => fs.accessSync(p, o as never),
  exists: (p) => fs.existsSync(p),
  readdir: (p, o) => fs.readdirSync(p, o as never),
  realpath: (p, o) => fs.realpathSync(p, o as never),
  readlink: (p, o) => fs.readlinkSync(p, o as never),
};

function answer(op: string, file: string, options: string): string {
  try {
    return digestValue(READS[op](file, options === '' ? undefined : JSON.parse(options)));
  } catch (e) {
    return digestError(e);
  }
}

/** A read's path as an absolute string, or undefined for a descriptor or anything else. */
function pathOf(p: unknown): string | undefined {
  if (typeof p === 'string') return path.resolve(p);
  if (Buffer.isBuffer(p)) return path.resolve(p.toString());
  if (p instanceof URL && p.protocol === 'file:') return fileURLToPath(p);
  return undefined;
}

/** The options argument as JSON, if it is plain data (a number is access's mode). */
function optionsOf(o: unknown): string | undefined {
  if (o === undefined || o === null || typeof o === 'function') return '';
  if (typeof o === 'string' || typeof o === 'number') return JSON.stringify(o);
  if (typeof o === 'object' && !('signal' in o)) return JSON.stringify(o);
  return undefined;
}

/**
 * Replays the verdict kept under this key if every read it made answers the
 * same now: writes its output and returns its exit code; undefined otherwise
 * (and why, for the trace).
 */
export function replay(dir: string, key: string): { code: number; verdict: Verdict } | { miss: string } {
  let verdict: Verdict;
  try {
    verdict = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8')) as Verdict;
  } catch (e) {
    return { miss: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'none kept for this command line' : 'the kept verdict is unreadable' };
  }
  if (verdict?.v !== FORMAT || !Array.isArray(verdict.inputs) || !Array.isArray(verdict.output) || typeof verdict.code !== 'number') return { miss: 'the kept verdict is of another format' };
  for (const [name, value] of Object.entries(verdict.env ?? {})) {
    const now = name === '*' ? envDigest() : envValue(process.env[name]);
    if (now !== value) return { miss: `environment variable ${name} changed` };
  }
  for (const [name, value] of Object.entries(verdict.os ?? {})) {
    if (osAnswer(name) !== value) return { miss: `os.${name}() changed` };
  }
  for (const [op, file, options, digest] of verdict.inputs) {
    if (!(op in READS) || answer(op, file, options) !== digest) return { miss: `${file} changed (${op})` };
  }
  return { code: verdict.code, verdict };
}

const envValue = (v: unknown) => (v === undefined ? null : sha(String(v)));
const envDigest = () => sha(JSON.stringify(Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
const OS_READS = ['homedir', 'userInfo', 'hostname', 'tmpdir'] as const;
const osAnswer = (name: string) => digestValue((os as unknown as Record<string, () => unknown>)[name]());

/** A recorded run: call finish() when it has answered. */
export interface Recording {
  /** Stops watching; the verdict if the run can be replayed, else why not. */
  finish(code: number): Verdict | { unkept: string };
}

/** Starts watching the run (before any of its code is loaded: libraries that keep a reference to an fs function keep ours). */
export function record(): Recording {
  const statSync = fs.statSync;
  const inputs = new Map<string, Input>();
  const env: Record<string, string | null> = {};
  const osRead: Record<string, string> = {};
  let unsound: string | undefined;
  const output: [1 | 2, Buffer][] = [];
  const restore: (() => void)[] = [];
  let on = true;

  const note = (op: string, p: unknown, o: unknown, result: { value?: unknown; error?: unknown }) => {
    if (!on) return;
    const file = pathOf(p);
    const options = optionsOf(o);
    if (file === undefined || options === undefined) {
      unsound ??= `fs.${op} on ${typeof p === 'number' ? 'a file descriptor' : 'an unusual argument'}`;
      return;
    }
    // A pipe, a device or stdin read again when the verdict is checked would wait, or answer otherwise.
    const kind = op === 'readFile' ? statSync(file, { throwIfNoEntry: false }) : undefined;
    if (kind && !kind.isFile() && !kind.isDirectory()) {
      unsound ??= `a read of ${file}, which is not a regular file`;
      return;
    }
    const digest = 'error' in result ? digestError(result.error) : digestValue(op === 'access' ? undefined : result.value);
    const id = `${op}\0${file}\0${options}`;
    if (inputs.has(id) && inputs.get(id)![3] !== digest) unsound ??= `${file}, which changed while it was read`;
    inputs.set(id, [op, file, options, digest]);
  };
  const patch = <T extends object>(obj: T, name: string, wrapper: (orig: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown) => {
    const orig = (obj as Record<string, unknown>)[name] as (...a: unknown[]) => unknown;
    if (typeof orig !== 'function') return;
    const wrapped = wrapper(orig);
    Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(orig));
    (obj as Record<string, unknown>)[name] = wrapped;
    restore.push(() => {
      (obj as Record<string, unknown>)[name] = orig;
    });
  };
  const deny = (what: string) => (orig: (...a: unknown[]) => unknown) =>
    function (this: unknown, ...a: unknown[]) {
      if (on) unsound ??= what;
      return orig.apply(this, a);
    };

  // A read's wrapper: the answer or the error recorded, then passed on as it was.
  const recordSync = (op: string) => (orig: (...a: unknown[]) => unknown) =>
    function (this: unknown, p: unknown, o?: unknown) {
      try {
        // A missing file for statSync(p, { throwIfNoEntry: false }) answers undefined.
        const value = orig.call(this, p, o);
        note(op, p, o, { value });
        return value;
      } catch (error) {
        note(op, p, o, { error });
        throw error;
      }
    };

  // node:fs, sync and callback forms; node:fs/promises.
  for (const name of Object.keys(fs)) {
    if (!/^[a-z]/.test(name) || typeof (fs as unknown as Record<string, unknown>)[name] !== 'function') continue;
    const op = name.replace(/Sync$/, '');
    if (op in READS && name.endsWith('Sync')) {
      patch(fs, name, recordSync(op));
    } else if (op in READS) {
      patch(fs, name, (orig) =>
        function (this: unknown, p: unknown, ...rest: unknown[]) {
          const cb = rest.pop();
          const o = rest[0];
          if (typeof cb !== 'function') return orig.call(this, p, ...rest, cb);
          if (op === 'exists') return orig.call(this, p, (value: boolean) => (note(op, p, o, { value }), cb(value)));
          return orig.call(this, p, ...rest, (error: unknown, value: unknown) => {
            if (error) note(op, p, o, { error });
            else note(op, p, o, { value });
            (cb as (...a: unknown[]) => void)(error, value);
          });
        },
      );
    } else if (name === 'writeSync' || name === 'write') {
      // stdout and stderr written to a file or a pipe go through these.
      patch(fs, name, (orig) =>
        function (this: unknown, fd: unknown, ...a: unknown[]) {
          if (on && fd !== 1 && fd !== 2) unsound ??= `fs.${name}`;
          return orig.call(this, fd, ...a);
        },
      );
    } else patch(fs, name, deny(`fs.${name}`));
  }
  patch(fs.realpathSync, 'native', recordSync('realpath'));
  patch(fs.realpath, 'native', deny('fs.realpath.native'));
  const promises = fs.promises as unknown as Record<string, unknown>;
  for (const name of Object.keys(promises)) {
    if (!/^[a-z]/.test(name) || typeof promises[name] !== 'function') continue;
    if (name in READS) {
      patch(promises, name, (orig) =>
        async function (this: unknown, p: unknown, o?: unknown) {
          try {
            const value = await orig.call(this, p, o);
            note(name, p, o, { value });
            return value;
          } catch (error) {
            note(name, p, o, { error });
            throw error;
          }
        },
      );
    } else patch(promises, name, deny(`fs.promises.${name}`));
  }
  for (const name of Object.keys(childProcess)) {
    if (/^[a-z]/.test(name)) patch(childProcess, name, deny(`child_process.${name}`));
  }
  for (const name of OS_READS) {
    patch(os, name, (orig) =>
      function (this: unknown, ...a: unknown[]) {
        const value = orig.apply(this, a);
        if (on && a.length === 0) osRead[name] = digestValue(value);
        else if (on) unsound ??= `os.${name} with options`;
        return value;
      },
    );
  }
  patch(process, 'chdir', deny('process.chdir'));
  const stdin = Object.getOwnPropertyDescriptor(process, 'stdin');
  if (stdin?.get && stdin.configurable) {
    Object.defineProperty(process, 'stdin', {
      ...stdin,
      get() {
        if (on) unsound ??= 'stdin';
        return stdin.get!.call(process);
      },
    });
    restore.push(() => Object.defineProperty(process, 'stdin', stdin));
  }

  // process.env: which variables the run looked at, and what they were.
  const realEnv = process.env;
  process.env = new Proxy(realEnv, {
    get(t, k) {
      const v = Reflect.get(t, k);
      if (on && typeof k === 'string') env[k] ??= envValue(v);
      return v;
    },
    has(t, k) {
      if (on && typeof k === 'string') env[k] ??= envValue(t[k]);
      return Reflect.has(t, k);
    },
    getOwnPropertyDescriptor(t, k) {
      if (on && typeof k === 'string') env[k] ??= envValue(t[k]);
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
    ownKeys(t) {
      if (on) env['*'] = 'listed';
      return Reflect.ownKeys(t);
    },
    set(t, k, v) {
      if (on) unsound ??= `process.env.${String(k)} set`;
      return Reflect.set(t, k, v);
    },
    deleteProperty(t, k) {
      if (on) unsound ??= `process.env.${String(k)} deleted`;
      return Reflect.deleteProperty(t, k);
    },
  });
  restore.push(() => {
    process.env = realEnv;
  });

  // What the run writes, as bytes.
  for (const [stream, fd] of [
    [process.stdout, 1],
    [process.stderr, 2],
  ] as const) {
    patch(stream, 'write', (orig) =>
      function (this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown) {
        if (on) output.push([fd, typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array)]);
        return orig.call(this, chunk, encoding, cb);
      },
    );
  }

  return {
    finish(code) {
      on = false;
      for (const undo of restore.reverse()) undo();
      if (env['*'] === 'listed') env['*'] = envDigest();
      if (unsound) return { unkept: `the run used ${unsound}` };
      return { v: FORMAT, inputs: [...inputs.values()], env, os: osRead, output: output.map(([fd, b]) => [fd, b.toString('base64')]), code };
    },
  };
}

/** Keeps a verdict (a temporary file, then a rename; 0600 in a 0700 folder) and lets the oldest go past KEEP. */
export function keep(dir: string, key: string, verdict: Verdict): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${key}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(verdict), { mode: 0o600 });
  fs.renameSync(tmp, file);
  const kept = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (kept.length > KEEP) {
    const byAge = kept.map((f) => ({ f, t: fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => a.t - b.t);
    for (const { f } of byAge.slice(0, kept.length - KEEP)) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/** Writes a replayed verdict's output. */
export function writeOutput(verdict: Verdict): void {
  for (const [fd, bytes] of verdict.output) (fd === 1 ? process.stdout : process.stderr).write(Buffer.from(bytes, 'base64'));
}
