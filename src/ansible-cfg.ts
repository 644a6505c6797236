/**
 * ansible.cfg, found where Ansible looks (ANSIBLE_CONFIG, ./ansible.cfg,
 * ~/.ansible.cfg, /etc/ansible/ansible.cfg: the first that exists), for the
 * keys people set: inventory, roles_path, forks, remote_user,
 * private_key_file, host_key_checking, become, become_user, become_method.
 * Other keys are named in one notice and not used.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError } from './errors.ts';

export interface AnsibleConfig {
  file: string;
  inventory?: string;
  rolesPath?: string[];
  forks?: number;
  hostKeyChecking?: boolean;
  /** Variables the config gives every host, below the inventory's own: ansible_user, ansible_become... */
  hostDefaults: Record<string, unknown>;
  /** remote_user: the login user where neither the host's ansible_user nor a remote_user keyword says (Ansible's order). */
  remoteUser?: string;
  ignored: string[];
}

const HONOURED: Record<string, string[]> = {
  defaults: ['inventory', 'hostfile', 'roles_path', 'forks', 'remote_user', 'private_key_file', 'host_key_checking', 'become', 'become_user', 'become_method'],
  privilege_escalation: ['become', 'become_user', 'become_method'],
};

/** Sections whose keys only tune Ansible's own machinery: not named as ignored. */
const QUIET = new Set(['retry_files_enabled', 'interpreter_python', 'stdout_callback', 'nocows', 'gathering', 'deprecation_warnings', 'callbacks_enabled', 'callback_whitelist', 'pipelining', 'ssh_args', 'control_path', 'control_path_dir', 'timeout', 'local_tmp', 'remote_tmp', 'nocolor', 'force_color', 'command_warnings', 'localhost_warning', 'host_pattern_mismatch']);

export function findAnsibleConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const candidates = [env.ANSIBLE_CONFIG, path.join(cwd, 'ansible.cfg'), path.join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg'];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (statSync(c).isFile()) return c;
      if (statSync(c).isDirectory() && existsSync(path.join(c, 'ansible.cfg'))) return path.join(c, 'ansible.cfg');
    } catch {
      // not there
    }
  }
  return undefined;
}

/** configparser's reading of an INI file: [section], key = value (or key: value), # and ; comments, indented continuation lines. */
export function parseIni(text: string, file: string): Map<string, Map<string, { value: string; line: number }>> {
  const sections = new Map<string, Map<string, { value: string; line: number }>>();
  let current: Map<string, { value: string; line: number }> | undefined;
  let last: { value: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (/^\s*([#;].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      last.value += '\n' + raw.trim();
      return;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (sec) {
      current = sections.get(sec[1].trim()) ?? new Map();
      sections.set(sec[1].trim(), current);
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv) throw new InputError(`${file}:${line}: not a 'key = value' line: ${raw.trim()}`);
    if (!current) throw new InputError(`${file}:${line}: a key before the first [section]`, { hint: 'put it under [defaults]' });
    last = { value: kv[2].replace(/\s+;.*$/, '').trim(), line };
    current.set(kv[1].trim().toLowerCase(), last);
  });
  return sections;
}

const truth = (v: string, file: string, key: string, line: number): boolean => {
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on', 'y', 't'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', 'n', 'f', ''].includes(s)) return false;
  throw new InputError(`${file}:${line}: ${key} must be true or false, got '${v}'`);
};

const expand = (p: string, base: string) => {
  const home = p.replace(/^~(?=$|\/)/, homedir()).replace(/\$\{?(\w+)\}?/g, (_m, n: string) => process.env[n] ?? '');
  return path.resolve(base, home);
};

export function loadAnsibleConfig(file: string): AnsibleConfig {
  const sections = parseIni(readFileSync(file, 'utf8'), file);
  const base = path.dirname(path.resolve(file));
  const cfg: AnsibleConfig = { file, hostDefaults: {}, ignored: [] };
  const get = (section: string, key: string) => sections.get(section)?.get(key);
  for (const [name, keys] of sections) {
    for (const key of keys.keys()) {
      if (HONOURED[name]?.includes(key) || QUIET.has(key)) continue;
      cfg.ignored.push(`[${name}] ${key}`);
    }
  }
  const inv = get('defaults', 'inventory') ?? get('defaults', 'hostfile');
  if (inv) cfg.inventory = expand(inv.value.split(',')[0].trim(), base);
  const roles = get('defaults', 'roles_path');
  if (roles) cfg.rolesPath = roles.value.split(/[:,]/).map((p) => p.trim()).filter(Boolean).map((p) => expand(p, base));
  const forks = get('defaults', 'forks');
  if (forks) {
    const n = Number(forks.value);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`${file}:${forks.line}: forks must be a positive whole number, got '${forks.value}'`);
    cfg.forks = n;
  }
  const hkc = get('defaults', 'host_key_checking');
  if (hkc) cfg.hostKeyChecking = truth(hkc.value, file, 'host_key_checking', hkc.line);
  const user = get('defaults', 'remote_user');
  if (user) cfg.remoteUser = user.value;
  const key = get('defaults', 'private_key_file');
  if (key) cfg.hostDefaults.ansible_private_key_file = expand(key.value, base);
  const become = get('privilege_escalation', 'become') ?? get('defaults', 'become');
  if (become) cfg.hostDefaults.ansible_become = truth(become.value, file, 'become', become.line);
  const becomeUser = get('privilege_escalation', 'become_user') ?? get('defaults', 'become_user');
  if (becomeUser) cfg.hostDefaults.ansible_become_user = becomeUser.value;
  const method = get('privilege_escalation', 'become_method') ?? get('defaults', 'become_method');
  if (method && method.value !== 'sudo') {
    throw new InputError(`${file}:${method.line}: become_method ${method.value} is not supported; jitsi-fleet becomes with sudo`, { hint: 'remove become_method (sudo is the default) or set it to sudo' });
  }
  return cfg;
}
