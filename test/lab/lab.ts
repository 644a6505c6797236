/**
 * The test lab: Debian hosts as containers on this machine, each with its
 * own sshd, on a bridge inside a network namespace of the lab's own.
 *
 * - Root filesystem: test/lab/image.sh (debootstrap, cached), overlay per host.
 * - Each host: unshare'd mount, UTS, PID and network namespaces, chroot,
 *   python init + sshd; address 198.51.100.(10+i) on eth0.
 * - The lab namespace holds the bridge (198.51.100.1) and runs the
 *   controller side (`lab.controller(...)`); nothing is added to the
 *   machine's own network namespace.
 * - Teardown kills the hosts by PID (their PID namespaces die with them,
 *   mounts with their mount namespaces) and deletes the lab namespace; a lab
 *   left by a crashed run is cleaned up by the next one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { clock, ImageProgress } from './image-progress.ts';
import { chmod, chown, mkdir, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import { stringify } from 'yaml';
import { $ } from 'zx';

$.quiet = true;
$.verbose = false;

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The sources beside the compiled file: dist/test/lab → test/lab. */
const SRC = path.resolve(HERE, '..', '..', '..', 'test', 'lab');
const LABS = '/var/tmp/jitsi-fleet-lab';
export const SUBNET = '198.51.100';
export const CONTROLLER_ADDRESS = `${SUBNET}.1`;
/** The password of the `deploy` user baked into the image (its sudo asks for it). */
export const DEPLOY_PASSWORD = 'Lab-Sudo-Pass-7391';

export interface LabHost {
  name: string;
  address: string;
  dir: string;
  /** PID of the unshare process that owns the host's namespaces. */
  pid: number;
  /** PID of the host's init (PID 1 inside). */
  initPid: number;
  /** The host's SSH host key, as a known_hosts line body: `ssh-ed25519 AAAA...`. */
  hostKey: string;
}

interface State {
  owner: number;
  netns: string;
  pids: number[];
}

export class LabUnavailable extends Error {}

/**
 * An ed25519 key pair that both ssh2 and OpenSSH read. ssh2's generator
 * drops a leading zero byte of the public key (about 1 key in 300): such a
 * key is malformed for both, so it is generated again.
 */
export function ed25519KeyPair(comment?: string): { private: string; public: string } {
  for (;;) {
    const key = ssh2.utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });
    if (!(ssh2.utils.parseKey(key.private) instanceof Error)) return key;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
}

/** Tears down labs whose owning process is gone (a crashed or killed run). */
export async function cleanStaleLabs(): Promise<string[]> {
  const cleaned: string[] = [];
  if (!existsSync(LABS)) return cleaned;
  for (const id of await readdir(LABS)) {
    const dir = path.join(LABS, id);
    const state: State | undefined = await readFile(path.join(dir, 'state.json'), 'utf8').then(JSON.parse).catch(() => undefined);
    if (state && alive(state.owner) && state.owner !== process.pid) continue;
    for (const pid of state?.pids ?? []) {
      // Only our own processes: the unshare that runs this lab's host-start.sh.
      if ((await cmdline(pid)).includes(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
    }
    if (state?.netns) await $`ip netns del ${state.netns}`.nothrow();
    await rm(dir, { recursive: true, force: true });
    cleaned.push(id);
  }
  return cleaned;
}

/** Why a lab cannot start here, or undefined when it can. */
export async function labProblem(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the lab needs root (namespaces, mounts, chroot): run the tests as root';
  if (process.platform !== 'linux') return 'the lab needs Linux namespaces';
  const probe = await $`unshare --net --mount --pid --fork true`.nothrow();
  if (probe.exitCode !== 0) return `cannot create namespaces: ${probe.stderr.trim()}`;
  return undefined;
}

/** Where the image and its build log are kept (image.sh uses the same rule). */
export function cacheDir(): string {
  return process.env.JITSI_FLEET_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/root', '.cache'), 'jitsi-fleet');
}

/**
 * Builds the cached image if needed and returns its path. A build says once
 * what it does, shows one progress line on stderr (rewritten in place in a
 * terminal, a line per phase otherwise), and keeps debootstrap's output in a
 * log file that a failure names.
 */
export async function buildImage(): Promise<string> {
  const log = path.join(cacheDir(), 'image-build.log');
  const started = Date.now();
  const tty = Boolean(process.stderr.isTTY);
  const progress = new ImageProgress();
  let building = false;
  let logFile: import('node:fs').WriteStream | undefined;
  let lastShown = '';
  let lastPrinted = 0;
  const show = (force = false) => {
    const text = progress.line(Date.now() - started);
    if (tty) process.stderr.write(`\r\x1b[K${text}`);
    else if (force || text.replace(/\s+\d+:\d+$/, '') !== lastShown || Date.now() - lastPrinted > 15_000) {
      process.stderr.write(`${text}\n`);
      lastPrinted = Date.now();
    }
    lastShown = text.replace(/\s+\d+:\d+$/, '');
  };
  const child = spawn('bash', [path.join(SRC, 'image.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  let pending = '';
  const timer = setInterval(() => building && show(), 1000);
  child.stderr.on('data', (d: Buffer) => {
    if (!building) {
      building = true;
      mkdirSync(path.dirname(log), { recursive: true });
      logFile = createWriteStream(log);
      process.stderr.write(`Building the lab's Debian image: the first run only (about 270 MB, 1-3 minutes), cached in ${cacheDir()}; full log: ${log}\n`);
    }
    logFile!.write(d);
    pending += d.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (progress.feed(l)) show();
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  await new Promise<void>((resolve) => (logFile ? logFile.end(resolve) : resolve()));
  if (code !== 0) {
    if (tty && building) process.stderr.write('\n');
    const tail = building ? (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n  ') : '';
    throw new Error(`building the lab image failed while ${progress.line(0).replace('lab image: ', '')} (exit ${code}); full log: ${log}${tail ? `\n  ${tail}` : ''}`);
  }
  if (building) {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`lab image ready in ${clock(Date.now() - started)} (${progress.downloaded} packages); the next runs reuse it\n`);
  }
  return stdout.trim();
}

export class Lab {
  readonly hosts = new Map<string, LabHost>();
  private readonly procs: ChildProcess[] = [];
  readonly keyFile: string;
  readonly knownHostsFile: string;
  private stopped = false;

  private constructor(readonly id: string, readonly dir: string, readonly netns: string, readonly image: string) {
    this.keyFile = path.join(dir, 'id_lab');
    this.knownHostsFile = path.join(dir, 'known_hosts');
  }

  /** Builds (or reuses) the image and starts `names` hosts. */
  static async start(names: string[], opts: { image?: string } = {}): Promise<Lab> {
    const problem = await labProblem();
    if (problem) throw new LabUnavailable(problem);
    await cleanStaleLabs();
    const image = opts.image ?? (await buildImage());
    const id = `${process.pid}-${Date.now().toString(36)}`;
    const dir = path.join(LABS, id);
    await mkdir(dir, { recursive: true });
    const lab = new Lab(id, dir, `jflab-${id}`, image);
    await lab.writeState();
    try {
      await lab.network();
      const key = ed25519KeyPair('jitsi-fleet-lab');
      await writeFile(lab.keyFile, key.private, { mode: 0o600 });
      await writeFile(`${lab.keyFile}.pub`, key.public + '\n');
      await writeFile(lab.knownHostsFile, '');
      // At most 8 hosts start at once: 30 hosts on 2 cores boot more reliably in waves.
      const waves = Array.from({ length: Math.ceil(names.length / 8) }, (_, w) => names.slice(w * 8, w * 8 + 8));
      for (const wave of waves) await Promise.all(wave.map((n) => lab.startHost(n, `${SUBNET}.${10 + names.indexOf(n)}`, key.public, names)));
      await lab.writeState();
      await Promise.all([...lab.hosts.values()].map((h) => lab.waitForSsh(h)));
    } catch (e) {
      await lab.stop();
      throw e;
    }
    return lab;
  }

  private async writeState(): Promise<void> {
    const state: State = { owner: process.pid, netns: this.netns, pids: [...[...this.hosts.values()].map((h) => h.pid), ...(this.extraPids ?? [])] };
    await writeFile(path.join(this.dir, 'state.json'), JSON.stringify(state));
  }

  private async network(): Promise<void> {
    const ns = this.netns;
    await $`ip netns add ${ns}`;
    await $`ip -n ${ns} link set lo up`;
    await $`ip -n ${ns} link add br0 type bridge`;
    await $`ip -n ${ns} addr add ${CONTROLLER_ADDRESS}/24 dev br0`;
    await $`ip -n ${ns} link set br0 up`;
  }

  private async startHost(name: string, address: string, authorized: string, all: string[]): Promise<void> {
    const dir = path.join(this.dir, 'hosts', name);
    const upper = path.join(dir, 'upper');
    await Promise.all(['upper', 'work', 'root'].map((d) => mkdir(path.join(dir, d), { recursive: true })));
    // Per-host files go into the overlay's upper layer before it is mounted.
    const hostKey = ed25519KeyPair(`root@${name}`);
    await mkdir(path.join(upper, 'etc/ssh'), { recursive: true });
    await writeFile(path.join(upper, 'etc/ssh/ssh_host_ed25519_key'), hostKey.private, { mode: 0o600 });
    await writeFile(path.join(upper, 'etc/ssh/ssh_host_ed25519_key.pub'), hostKey.public + '\n');
    await writeFile(path.join(upper, 'etc/hostname'), name + '\n');
    const hostsFile = ['127.0.0.1 localhost', `${CONTROLLER_ADDRESS} controller`, ...all.map((n, i) => `${SUBNET}.${10 + i} ${n}`)].join('\n') + '\n';
    await writeFile(path.join(upper, 'etc/hosts'), hostsFile);
    for (const [home, uid] of [['root', 0], ['home/deploy', 1000]] as const) {
      const ssh = path.join(upper, home, '.ssh');
      await mkdir(ssh, { recursive: true });
      await writeFile(path.join(ssh, 'authorized_keys'), authorized + '\n', { mode: 0o600 });
      if (uid !== 0) {
        await chown(path.join(upper, home), uid, uid);
        await chown(ssh, uid, uid);
        await chown(path.join(ssh, 'authorized_keys'), uid, uid);
      }
      await chmod(ssh, 0o700);
    }
    await mkdir(path.join(upper, 'usr/local/sbin'), { recursive: true });
    await copyFile(path.join(SRC, 'host-init.py'), path.join(upper, 'usr/local/sbin/lab-init.py'));

    const proc = spawn(
      'ip',
      ['netns', 'exec', this.netns, 'unshare', '--net', '--mount', '--uts', '--pid', '--fork', '--kill-child', '--', '/bin/sh', path.join(SRC, 'host-start.sh'), this.image, dir, name, address],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.procs.push(proc);
    let errText = '';
    proc.stderr!.on('data', (d) => (errText += d));
    const unsharePid = proc.pid!;
    // `ip netns exec` execs unshare in place, so proc.pid is unshare; its child is the host's PID 1.
    let initPid = 0;
    const deadline = Date.now() + 30_000;
    while (!initPid && Date.now() < deadline && proc.exitCode === null) {
      const children = await readFile(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').catch(() => '');
      initPid = Number(children.trim().split(/\s+/)[0]) || 0;
      if (!initPid) await new Promise((r) => setTimeout(r, 25));
    }
    if (!initPid) throw new Error(`lab host ${name} did not start its init within 30 s (unshare pid ${unsharePid}${proc.exitCode !== null ? `, exited ${proc.exitCode}` : ''}): ${errText}`);
    const vethName = `vh${Math.random().toString(36).slice(2, 10)}`;
    await $`ip -n ${this.netns} link add ${vethName} type veth peer name eth0 netns ${initPid}`;
    await $`ip -n ${this.netns} link set ${vethName} master br0 up`;
    this.hosts.set(name, { name, address, dir, pid: unsharePid, initPid, hostKey: hostKey.public.split(' ').slice(0, 2).join(' ') });
    await this.writeState();
    proc.once('exit', (code) => {
      if (!this.stopped && code !== 0) process.stderr.write(`lab host ${name} exited (${code}): ${errText}\n`);
    });
  }

  /** Starts a long-running command on the controller side (in the lab namespace); stopped with the lab. */
  async spawnController(cmd: string, args: string[]): Promise<ChildProcess> {
    const proc = spawn('ip', ['netns', 'exec', this.netns, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.procs.push(proc);
    this.extraPids.push(proc.pid!);
    await this.writeState();
    return proc;
  }

  private readonly extraPids: number[] = [];

  private async waitForSsh(h: LabHost): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const r = await $`ip netns exec ${this.netns} bash -c ${`exec 3<>/dev/tcp/${h.address}/22 && head -c 4 <&3`}`.nothrow();
      if (r.exitCode === 0 && r.stdout.startsWith('SSH-')) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    const why = await this.exec(h.name, 'ip -4 -o addr show eth0; tail -5 /var/log/sshd.log; ls /run/lab-ready').catch((e) => ({ stdout: String(e), stderr: '' }));
    throw new Error(`sshd on lab host ${h.name} (${h.address}) did not answer within 60 s: ${why.stdout} ${why.stderr}`);
  }

  host(name: string): LabHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  }

  /** Runs a shell command inside a host (as root, in its namespaces and root). */
  async exec(name: string, command: string, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const h = this.host(name);
    const p = $({ input, nothrow: true, cwd: "/" })`nsenter --target ${h.initPid} --mount --uts --pid --net --root /bin/sh -c ${`cd / && ${command}`}`;
    const out = await p;
    return { code: out.exitCode ?? -1, stdout: out.stdout, stderr: out.stderr };
  }

  /** Writes known_hosts lines for every host (what `ssh-keyscan` would give). */
  async trustAllHosts(file = this.knownHostsFile): Promise<void> {
    await writeFile(file, [...this.hosts.values()].map((h) => `${h.address} ${h.hostKey}`).join('\n') + '\n');
  }

  /** argv prefix that runs a command on the controller side, inside the lab namespace. */
  controllerPrefix(): string[] {
    return ['ip', 'netns', 'exec', this.netns];
  }

  /** An inventory of the lab hosts in groups (root login with the lab key), as YAML. */
  inventory(groups: Record<string, string[]>, hostVars: Record<string, Record<string, unknown>> = {}, allVars: Record<string, unknown> = {}): string {
    const host = (n: string) => ({ ansible_host: this.host(n).address, ansible_user: 'root', ansible_ssh_private_key_file: this.keyFile, ...(hostVars[n] ?? {}) });
    const children = Object.fromEntries(Object.entries(groups).map(([g, members]) => [g, { hosts: Object.fromEntries(members.map((n) => [n, host(n)])) }]));
    return stringify({ all: { vars: allVars, children } });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.procs) {
      if (p.exitCode === null && p.pid) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    await Promise.all(this.procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
    // What runs on the controller side of this lab still (a run's background process keeping SSH connections): by PID.
    const left = (await $`ip netns pids ${this.netns}`.nothrow()).stdout.split(/\s+/).filter(Boolean).map(Number);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await $`ip netns del ${this.netns}`.nothrow();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Stops the lab on Ctrl-C and termination too. */
export function stopOnSignals(lab: Lab): () => void {
  const handler = (sig: NodeJS.Signals) => {
    void lab.stop().finally(() => process.kill(process.pid, sig));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
