/**
 * The SSH connection (ssh2): one connection per host for the whole run, at
 * most 8 channels at once (OpenSSH allows 10 sessions), keepalive, a connect
 * timeout, host key checks on every hop, ProxyJump through forwarded channels.
 */
import { readFile } from 'node:fs/promises';
import { connect as connectSocket, type Socket } from 'node:net';
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Duplex } from 'node:stream';
import { ConnectionError } from '../errors.ts';
import { fingerprint, hostEntryName, keyType, knownKeys, verifyHostKey, type Verdict } from './known-hosts.ts';
import { ShellConnection, type RemoteProcess } from './shell.ts';
import type { JumpHop, SshTarget } from './ssh-target.ts';

const MAX_CHANNELS = 8;

interface Hop {
  hostname: string;
  port: number;
  user: string;
}

export class SshConnection extends ShellConnection {
  private clients: Client[] = [];
  private closed = false;
  /** Clients still in their handshake: close() cuts them. */
  private readonly handshaking = new Set<Client>();
  private lostReason?: string;
  private active = 0;
  private waiting: (() => void)[] = [];
  private readonly open = new Set<{ reject: (e: Error) => void }>();
  private markDialed!: () => void;
  readonly dialed = new Promise<void>((resolve) => (this.markDialed = resolve));

  constructor(private readonly target: SshTarget) {
    super(target.name, target.user);
  }

  /** Connected, and not lost or closed since. */
  get alive(): boolean {
    return this.clients.length > 0 && !this.closed;
  }

  private label(h: Hop): string {
    return `${h.user}@${h.hostname}${h.port === 22 ? '' : ':' + h.port}`;
  }

  /** ssh2 options shared by every hop: auth, keepalive, timeout, known host key types first. */
  private async baseConfig(h: Hop, main: boolean): Promise<{ config: ConnectConfig; tried: string[] }> {
    const t = this.target;
    const tried: string[] = [];
    const config: ConnectConfig = {
      host: h.hostname,
      port: h.port,
      username: h.user,
      readyTimeout: t.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      tryKeyboard: Boolean(t.password) && main,
    };
    if (main && t.password) {
      config.password = t.password;
      tried.push('password');
    }
    for (const file of t.identityFiles) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if (t.explicitKey) throw new ConnectionError(`${t.name}: cannot read the private key ${file}: ${(e as Error).message}`);
        continue;
      }
      if (/ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(text) || isEncryptedOpenSshKey(text)) {
        throw new ConnectionError(
          `${t.name}: the private key ${file} is encrypted. jitsi-fleet does not ask for passphrases: load the key into your ssh-agent ('ssh-add ${file}') and run again; the agent is used through SSH_AUTH_SOCK`,
        );
      }
      const parsed = ssh2.utils.parseKey(text);
      if (parsed instanceof Error) throw new ConnectionError(`${t.name}: the private key ${file} cannot be read: ${parsed.message}`, { hint: 'check the file (ssh-keygen -y -f FILE reads it the way ssh does)' });
      config.privateKey = text;
      tried.push(`key ${file}`);
      break;
    }
    if (t.agentSocket) {
      config.agent = t.agentSocket;
      tried.push('ssh-agent');
    }
    // The methods we have, in OpenSSH's order, without ssh2's first 'none' request
    // (a round trip that only asks the server which methods it takes).
    const methods = [config.privateKey && 'publickey', config.agent && 'agent', config.tryKeyboard && 'keyboard-interactive', config.password && 'password'].filter((m): m is string => Boolean(m));
    if (methods.length) config.authHandler = methods as never;
    const keys = await knownKeys(t.knownHostsFiles, this.names(h));
    const types = [...new Set(keys.filter((k) => !k.revoked).map((k) => k.type))];
    if (types.length) {
      const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
      const wanted = types.flatMap((ty) => (ty === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [ty]));
      config.algorithms = { serverHostKey: [...wanted, ...all.filter((a) => !wanted.includes(a))] as never };
    }
    return { config, tried };
  }

  private names(h: Hop): string[] {
    return [hostEntryName(h.hostname, h.port)];
  }

  private connectHop(h: Hop, main: boolean, sock?: Duplex): Promise<Client> {
    return new Promise((resolve, reject) => {
      void (async () => {
        let verdict: Verdict | undefined;
        let presented: Buffer | undefined;
        let setup: { config: ConnectConfig; tried: string[] };
        try {
          setup = await this.baseConfig(h, main);
        } catch (e) {
          reject(e);
          return;
        }
        if (this.closed) return reject(new ConnectionError(`${this.target.name}: the connection was closed while it was being made`));
        const client = new ssh2.Client();
        this.handshaking.add(client);
        let settled = false;
        const fail = (why: string) => {
          if (settled) return;
          settled = true;
          this.handshaking.delete(client);
          reject(new ConnectionError(why));
          // ssh2 may report more errors for a connection that never became
          // ready ("Connection lost before handshake"): keep listening, drop it.
          client.destroy();
        };
        client.once('ready', () => {
          settled = true;
          this.handshaking.delete(client);
          if (this.closed) {
            client.end();
            return reject(new ConnectionError(`${this.target.name}: the connection was closed while it was being made`));
          }
          resolve(client);
        });
        client.on('error', (err: Error & { level?: string }) => {
          if (settled) return;
          if (verdict && !verdict.ok) return fail(`${this.target.name}: ${verdict.reason}`);
          if (err.level === 'client-authentication') {
            return fail(`${this.target.name}: authentication failed for ${this.label(h)} (tried: ${setup.tried.join(', ') || 'nothing: no key, agent or password'})`);
          }
          if (err.level === 'client-timeout') return fail(`${this.target.name}: no SSH answer from ${this.label(h)} within ${this.target.connectTimeoutMs / 1000}s`);
          const code = (err as NodeJS.ErrnoException).code;
          const detail = code === 'ECONNREFUSED' ? 'connection refused (is sshd running?)' : code === 'EHOSTUNREACH' ? 'no route to host' : code === 'ECONNRESET' || /lost before handshake/i.test(err.message) ? 'the server closed the connection before the SSH handshake (is this port an SSH server?)' : err.message;
          fail(`${this.target.name}: cannot connect to ${this.label(h)}: ${detail}`);
        });
        client.on('close', () => fail(`${this.target.name}: ${this.label(h)} closed the connection before the SSH handshake (is it an SSH server?)`));
        const config: ConnectConfig = {
          ...setup.config,
          ...(sock ? { sock } : {}),
          hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
            presented = key;
            verifyHostKey(this.target.checking, this.target.knownHostsFiles, this.names(h), key, this.label(h))
              .then((v) => {
                verdict = v;
                verify(v.ok);
              })
              .catch((e) => {
                verdict = { ok: false, reason: `checking the host key failed: ${(e as Error).message}` };
                verify(false);
              });
          },
        } as ConnectConfig;
        void presented;
        // The first hop's TCP connection is ours: no Nagle delay, and ssh2's packets of one turn of the event loop leave together.
        if (!sock) config.sock = coalescingSocket(h.hostname, h.port);
        client.connect(config);
        this.markDialed();
      })();
    });
  }

  async connect(): Promise<void> {
    const t = this.target;
    const hops: Hop[] = [...t.jumps.map((j: JumpHop) => ({ ...j })), { hostname: t.hostname, port: t.port, user: t.user }];
    let sock: Duplex | undefined;
    for (const [i, h] of hops.entries()) {
      const main = i === hops.length - 1;
      const client = await this.connectHop(h, main, sock).finally(this.markDialed);
      this.clients.push(client);
      client.on('close', () => this.lost(`the SSH connection to ${this.label(h)} closed`));
      client.on('error', (e: Error) => this.lost(`the SSH connection to ${this.label(h)} failed: ${e.message}`));
      if (!main) {
        const next = hops[i + 1];
        sock = await new Promise<Duplex>((resolve, reject) => {
          client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) => {
            if (err) reject(new ConnectionError(`${t.name}: the jump host ${this.label(h)} could not reach ${next.hostname}:${next.port}: ${err.message}`));
            else resolve(stream);
          });
        });
      }
    }
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.lostReason = reason;
    for (const o of this.open) o.reject(new ConnectionError(`${this.target.name}: ${reason}`));
    this.open.clear();
    for (const w of this.waiting.splice(0)) w();
  }

  private async slot(): Promise<void> {
    while (this.active >= MAX_CHANNELS) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  async spawn(command: string): Promise<RemoteProcess> {
    if (this.closed) throw new ConnectionError(`${this.target.name}: ${this.lostReason ?? 'the connection is closed'}`);
    const client = this.clients[this.clients.length - 1];
    await this.slot();
    if (this.closed) {
      this.release();
      throw new ConnectionError(`${this.target.name}: ${this.lostReason ?? 'the connection is closed'}`);
    }
    // The exit status must be listened for inside the exec callback: a fast
    // command's exit-status can arrive in the same packet batch as the
    // channel's confirmation, before any later microtask runs.
    let code: number | null = null;
    let signal: string | null = null;
    let channel: ClientChannel;
    try {
      channel = await new Promise<ClientChannel>((resolve, reject) => {
        client.exec(command, (err, ch) => {
          if (err) return reject(err);
          ch.on('exit', (c: number | null, s?: string) => {
            code = c;
            signal = s ?? null;
          });
          resolve(ch);
        });
      });
    } catch (e) {
      this.release();
      throw new ConnectionError(`${this.target.name}: cannot open a channel: ${(e as Error).message}`);
    }
    let entry!: { reject: (e: Error) => void };
    const done = new Promise<{ code: number | null; signal?: string | null }>((resolve, reject) => {
      entry = { reject };
      this.open.add(entry);
      channel.on('close', () => {
        this.open.delete(entry);
        this.release();
        if (this.closed && code === null) reject(new ConnectionError(`${this.target.name}: ${this.lostReason}`));
        else resolve({ code, signal });
      });
    });
    done.catch(() => {});
    return { stdin: channel, stdout: channel, stderr: channel.stderr, done };
  }

  async close(): Promise<void> {
    this.releaseLock();
    this.closed = true;
    for (const c of this.handshaking) c.destroy();
    this.handshaking.clear();
    for (const c of this.clients.reverse()) c.end();
    this.clients = [];
  }
}

/** OpenSSH-format keys say in their header whether they are encrypted (cipher name not "none"). */
function isEncryptedOpenSshKey(text: string): boolean {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return false;
  const buf = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (buf.subarray(0, magic.length).toString('latin1') !== magic) return false;
  if (buf.length < magic.length + 4) return false; // truncated: the key parser says what is wrong
  const len = buf.readUInt32BE(magic.length);
  return buf.subarray(magic.length + 4, magic.length + 4 + len).toString() !== 'none';
}

export { fingerprint, keyType };

/**
 * The TCP connection to a host's first hop, set as OpenSSH sets its own:
 * TCP_NODELAY (ssh2 leaves Nagle's algorithm on, so a small packet written
 * while the one before is not yet acknowledged waits for that ACK, which the
 * server may delay: a no-change run on one lab host took 0.32 s with it, 0.24
 * without), and the writes of one turn of the event loop sent as one (cork,
 * then uncork on the next tick: one writev, one segment, where ssh2 writes
 * each SSH packet on its own: NEWKEYS and the service request, a channel's
 * open, request and data), which spares a system call and a trip through the
 * network stack per packet on both sides (3% of a 10-host run in the lab).
 * The order of the bytes is unchanged, and nothing waits past the current tick.
 */
function coalescingSocket(host: string, port: number): Socket {
  const socket = connectSocket({ host, port });
  socket.setNoDelay(true);
  const write = socket.write.bind(socket) as (...a: unknown[]) => boolean;
  let corked = false;
  socket.write = ((...a: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write(...a);
  }) as typeof socket.write;
  return socket;
}
