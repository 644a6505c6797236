/**
 * Where and how to reach a host over SSH: inventory variables first, then
 * ~/.ssh/config (or -F FILE), parsed with the ssh-config library, then
 * OpenSSH's defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';
import { InputError } from '../errors.ts';
import type { Lookup } from '../util/lookup.ts';
import type { HostKeyChecking } from './known-hosts.ts';

export interface SshSettings {
  /** -F FILE; default ~/.ssh/config when it exists. */
  configFile?: string;
  /** --host-key-checking; wins over everything else. */
  hostKeyChecking?: HostKeyChecking;
  connectTimeoutMs?: number;
  /** The login user where the host's ansible_user does not say (a remote_user keyword, or ansible.cfg's); above ~/.ssh/config's User. */
  user?: string;
}

export interface JumpHop {
  hostname: string;
  port: number;
  user: string;
}

export interface SshTarget {
  name: string;
  hostname: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** True when a key file was named (inventory or IdentityFile), not just OpenSSH's defaults. */
  explicitKey: boolean;
  password?: string;
  jumps: JumpHop[];
  knownHostsFiles: string[];
  checking: HostKeyChecking;
  connectTimeoutMs: number;
  /** The ssh-agent's socket (SSH_AUTH_SOCK of the run), if any. */
  agentSocket?: string;
}

// Absolute (relative to the run's folder, as ssh has them): a kept connection (persist.ts) is named by its target.
const expandHome = (p: string) => path.resolve(p.startsWith('~/') ? path.join(homedir(), p.slice(2)) : p);

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseChecking(v: unknown, where: string): HostKeyChecking | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const s = String(v).toLowerCase();
  if (['yes', 'true', '1', 'ask'].includes(s)) return 'yes';
  if (['no', 'false', '0', 'off'].includes(s)) return 'no';
  if (s === 'accept-new') return 'accept-new';
  throw new InputError(`${where}: host key checking must be yes, accept-new or no; got '${v}'`);
}

let cachedConfig: { file: string; config: SSHConfig } | undefined;
function sshConfig(file: string | undefined): SSHConfig | undefined {
  const f = file ?? path.join(homedir(), '.ssh', 'config');
  if (!existsSync(f)) {
    if (file) throw new InputError(`ssh config file not found: ${file}`);
    return undefined;
  }
  if (cachedConfig?.file !== f) cachedConfig = { file: f, config: SSHConfig.parse(readFileSync(f, 'utf8')) };
  return cachedConfig.config;
}

function parseHop(spec: string, config: SSHConfig | undefined): JumpHop {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new InputError(`ProxyJump '${spec}' is not [user@]host[:port]`);
  const host = m[2].replace(/^\[|\]$/g, '');
  const c = config?.compute(host) ?? {};
  return {
    hostname: first(c.HostName) ?? host,
    port: Number(m[3] ?? first(c.Port) ?? 22),
    user: m[1] ?? first(c.User) ?? userInfo().username,
  };
}

export function resolveTarget(name: string, vars: Lookup, settings: SshSettings): SshTarget {
  const config = sshConfig(settings.configFile);
  const address = String(vars('ansible_host') ?? name);
  const c = config?.compute(address) ?? {};
  const keyVar = vars('ansible_ssh_private_key_file') ?? vars('ansible_private_key_file');
  const cfgKeys = (Array.isArray(c.IdentityFile) ? c.IdentityFile : c.IdentityFile ? [c.IdentityFile] : []).map(expandHome);
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => path.join(homedir(), '.ssh', k)).filter((p) => existsSync(p));
  const identityFiles = keyVar ? [expandHome(String(keyVar))] : cfgKeys.length ? cfgKeys : defaults;
  const jumpSpec = first(c.ProxyJump);
  const envChecking = process.env.ANSIBLE_HOST_KEY_CHECKING;
  const checking =
    settings.hostKeyChecking ??
    parseChecking(vars('ansible_host_key_checking') ?? vars('ansible_ssh_host_key_checking'), `host ${name}`) ??
    parseChecking(envChecking, 'ANSIBLE_HOST_KEY_CHECKING') ??
    parseChecking(first(c.StrictHostKeyChecking), 'StrictHostKeyChecking') ??
    'yes';
  const known = first(c.UserKnownHostsFile);
  const knownHostsFiles = known
    ? String(known).split(/\s+/).map(expandHome)
    : [path.join(homedir(), '.ssh', 'known_hosts'), path.join(homedir(), '.ssh', 'known_hosts2')];
  const password = vars('ansible_password') ?? vars('ansible_ssh_pass');
  return {
    name,
    hostname: first(c.HostName) ?? address,
    port: Number(vars('ansible_port') ?? first(c.Port) ?? 22),
    user: String(vars('ansible_user') ?? settings.user ?? first(c.User) ?? userInfo().username),
    identityFiles,
    explicitKey: Boolean(keyVar) || cfgKeys.length > 0,
    password: password === undefined || password === null ? undefined : String(password),
    jumps: jumpSpec && jumpSpec.toLowerCase() !== 'none' ? jumpSpec.split(',').map((s) => parseHop(s, config)) : [],
    knownHostsFiles: [...knownHostsFiles, '/etc/ssh/ssh_known_hosts'],
    checking,
    connectTimeoutMs: settings.connectTimeoutMs ?? 10_000,
    ...(process.env.SSH_AUTH_SOCK ? { agentSocket: process.env.SSH_AUTH_SOCK } : {}),
  };
}
