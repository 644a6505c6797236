/**
 * user and group: local accounts, as Ansible's modules on Debian (useradd,
 * usermod, userdel, groupadd, groupmod, groupdel). One read-only probe (getent)
 * plans it; the change is one command.
 *
 * ```yaml
 * - group: { name: jitsi, system: true }
 * - user: { name: jvb, group: jitsi, groups: [adm], append: true, shell: /bin/false, system: true, create_home: false }
 * ```
 */
import { argList } from './arg-list.ts';
import { keyValueLines } from '../util/kv-lines.ts';
import { shellQuote } from '../util/shell-quote.ts';
import type { Change, ModuleDef, Plan } from './types.ts';
import type { ExecResult } from '../connection/types.ts';

const q = shellQuote;

/** One command whose failure is the task's, with the tool's own words. */
function run(command: string, what: string): Pick<Plan, 'changes' | 'finish'> & { changes: Change[] } {
  return {
    changes: [{ kind: 'exec', command }],
    finish([out]: ExecResult[]) {
      if (out.code !== 0) return { failed: true, changed: false, msg: `${what} failed (rc ${out.code}): ${(out.stderr || out.stdout).trim()}`, result: { rc: out.code, stderr: out.stderr } };
      return { changed: true };
    },
  };
}

export interface GroupArgs {
  name: string;
  state: 'present' | 'absent';
  gid?: number;
  system: boolean;
  non_unique: boolean;
  local: boolean;
  force: boolean;
}

export const group: ModuleDef<GroupArgs> = {
  name: 'group',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1 },
      state: { enum: ['present', 'absent'], default: 'present' },
      gid: { type: 'integer', minimum: 0 },
      system: { type: 'boolean', default: false },
      non_unique: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
  },
  async plan(a, ctx): Promise<Plan> {
    const out = await ctx.probe(`getent group ${q(a.name)} || true`);
    const [, , gidText] = out.stdout.trim().split(':');
    const exists = out.stdout.trim() !== '';
    const gid = exists ? Number(gidText) : undefined;
    const result = (extra: Record<string, unknown>) => ({ name: a.name, state: a.state, system: a.system, ...extra });
    if (a.state === 'absent') {
      if (!exists) return { changes: [], msg: `group ${a.name} is absent`, result: result({}) };
      return { ...run(`groupdel ${a.force ? '-f ' : ''}${q(a.name)}`, 'groupdel'), msg: `remove group ${a.name}`, result: result({}) };
    }
    if (!exists) {
      const args = [...(a.gid !== undefined ? ['-g', String(a.gid)] : []), ...(a.non_unique ? ['-o'] : []), ...(a.system ? ['-r'] : []), a.name];
      // The gid the new group got is read back in the same command (Ansible's result has it).
      const plan = run(`groupadd ${args.map(q).join(' ')} && getent group ${q(a.name)} | cut -d: -f3`, 'groupadd');
      return {
        ...plan,
        msg: `create group ${a.name}`,
        result: result(a.gid !== undefined ? { gid: a.gid } : {}),
        finish(outs) {
          const r = plan.finish!(outs);
          const made = Number.parseInt(outs[0]?.stdout.trim() ?? '', 10);
          return r.failed ? r : { changed: true, result: result({ gid: a.gid ?? (Number.isNaN(made) ? undefined : made) }) };
        },
      };
    }
    if (a.gid !== undefined && a.gid !== gid) {
      return { ...run(`groupmod -g ${a.gid} ${a.non_unique ? '-o ' : ''}${q(a.name)}`, 'groupmod'), msg: `set the gid of group ${a.name} to ${a.gid}`, result: result({ gid: a.gid }) };
    }
    return { changes: [], msg: `group ${a.name} is present`, result: result({ gid }) };
  },
};

export interface UserArgs {
  name: string;
  state: 'present' | 'absent';
  uid?: number;
  group?: string;
  groups?: string[] | string;
  append: boolean;
  shell?: string;
  home?: string;
  create_home: boolean;
  move_home: boolean;
  system: boolean;
  comment?: string;
  password?: string;
  update_password: 'always' | 'on_create';
  password_lock?: boolean;
  remove: boolean;
  force: boolean;
  non_unique: boolean;
  local: boolean;
  expires?: number;
  password_expire_min?: number;
  password_expire_max?: number;
  umask?: string;
  skeleton?: string;
  generate_ssh_key?: boolean;
  ssh_key_type: string;
  ssh_key_bits: number;
  ssh_key_file?: string;
  ssh_key_comment?: string;
  ssh_key_passphrase?: string;
}

interface Account {
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
  groups: string[];
  hash: string;
  /** shadow's minimum and maximum password age and the account's expiry, in days (-1: none). */
  min: number;
  max: number;
  expire: number;
}

/** The key's fingerprint (or why there is none), file and public key, as Ansible's ssh_key_fingerprint and get_ssh_public_key; `$k` is the key file. */
const KEY_INFO = 'echo "FINGERPRINT=$(ssh-keygen -l -f "$k" 2>&1 || [ -e "$k" ] || echo "SSH Key file $k does not exist")"; echo "KEYFILE=$k"; echo "PUBKEY=$(cat "$k.pub" 2>/dev/null)"';

/**
 * Shell lines setting `h` (the user's home) and `k` (the key file, Ansible's get_ssh_key_path: an
 * absolute ssh_key_file, else under the home); with `homeMustExist`, a relative one fails without the home.
 */
function keyPathScript(a: UserArgs, homeMustExist: boolean): string {
  const file = q(a.ssh_key_file ?? SSH_KEY_FILE);
  const missing = homeMustExist ? `[ -e "$h" ] || { echo "User ${a.name} home directory does not exist" >&2; exit 1; }; ` : '';
  return `h=$(getent passwd ${q(a.name)} | cut -d: -f6)\ncase ${file} in /*) k=${file} ;; *) ${missing}k="$h/"${file} ;; esac`;
}

/** Where the user's key goes (Ansible's get_ssh_key_path): an absolute ssh_key_file, else under the home folder. */
const SSH_KEY_FILE = '.ssh/id_rsa';

/**
 * getent passwd and shadow, the groups the user is in besides its primary one, whether its
 * home folder and its ssh key are there, the host name (the key's default comment).
 */
function probeScript(a: UserArgs): string {
  const n = q(a.name);
  return [
    `echo "PASSWD=$(getent passwd ${n})"`,
    `echo "GROUPS=$(getent group | awk -F: -v u=${n} '{ split($4, m, ","); for (i in m) if (m[i] == u) { print $1; break } }' | paste -sd, -)"`,
    `echo "SHADOW=$(getent shadow ${n} | cut -d: -f2,4,5,8)"`,
    `echo "NAMEGROUP=$(getent group ${n} | cut -d: -f1)"`,
    a.group !== undefined ? `echo "GROUP=$(getent group ${q(a.group)} | cut -d: -f3)"` : 'true',
    `h=${a.home !== undefined ? q(a.home) : `$(getent passwd ${n} | cut -d: -f6)`}; [ -n "$h" ] && [ -e "$h" ] && echo HOME_EXISTS=1`,
    a.generate_ssh_key
      ? [
          `echo "HOSTNAME=$(hostname)"`,
          keyPathScript(a, false),
          `if [ -n "$h" ]; then ${KEY_INFO}; [ -e "$k" ] && echo KEY_EXISTS=1; fi`,
        ].join('\n')
      : 'true',
  ].join('\n');
}

function parseProbe(stdout: string): { account?: Account; nameGroup: boolean; groupGid?: number; homeExists: boolean; keyExists: boolean; hostname: string; v: Record<string, string> } {
  const v = keyValueLines(stdout);
  const fields = (v.PASSWD ?? '').split(':');
  const [hash = '', min = '', max = '', expire = ''] = (v.SHADOW ?? '').split(':');
  const days = (d: string) => (d === '' ? -1 : Number(d));
  const account =
    v.PASSWD && fields.length >= 7
      ? { uid: Number(fields[2]), gid: Number(fields[3]), comment: fields[4], home: fields[5], shell: fields[6], groups: (v.GROUPS ?? '').split(',').filter(Boolean), hash, min: days(min), max: days(max), expire: days(expire) }
      : undefined;
  return { account, nameGroup: Boolean(v.NAMEGROUP), groupGid: v.GROUP ? Number(v.GROUP) : undefined, homeExists: Boolean(v.HOME_EXISTS), keyExists: Boolean(v.KEY_EXISTS), hostname: v.HOSTNAME ?? '', v };
}

/** Ansible's user arguments jitsi-fleet accepts so that a playbook loads; a task that sets one fails and says so. */
const USER_UNSUPPORTED_PROPS = {
  uid_min: { type: 'integer' },
  uid_max: { type: 'integer' },
  hidden: { type: 'boolean' },
  seuser: { type: 'string' },
  login_class: { type: 'string' },
  profile: { type: 'string' },
  role: { type: 'string' },
  authorization: { type: 'string' },
} as const;

const listOf = (g: string[] | string | undefined) => (g === undefined ? undefined : argList(g));

/**
 * Ansible's check_password_encrypted: a password that does not look like a crypt hash (a
 * character outside the crypt alphabet, no `$`, a sha512/sha256/md5 hash of the wrong length)
 * gets its warning; '*', '!' and '*************' disable an account and pass.
 */
const HASH_LENGTHS: Record<string, number> = { '1': 22, '5': 43, '6': 86 };

function passwordWarning(password: string | undefined): string | undefined {
  if (!password || ['*', '!', '*************'].includes(password)) return undefined;
  let suspicious = /[:*!]/.test(password) || !password.includes('$');
  if (password.includes('$')) {
    const fields = password.split('$');
    const hash = fields[fields.length - 1];
    if (fields.length < 3) suspicious = true;
    else {
      const length = HASH_LENGTHS[fields[1]];
      if (/[^a-zA-Z0-9./=]/.test(hash) || (length !== undefined && hash.length !== length)) suspicious = true;
    }
  }
  return suspicious ? "The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly." : undefined;
}

/** expires (seconds since 1970, UTC) as useradd's -e date; a negative one is "never" (''). */
function expiryDate(expires: number): string {
  return expires < 0 ? '' : new Date(Math.floor(expires) * 1000).toISOString().slice(0, 10);
}

/**
 * The home folder of an account that has none (Ansible's create_homedir and chown_homedir): the
 * skeleton copied (links kept), the mode from UMASK in /etc/login.defs, everything owned by the user.
 */
function createHomeScript(name: string, skeleton: string | undefined): string {
  const n = q(name);
  const skel = q(skeleton ?? '/etc/skel');
  return [
    `h=$(getent passwd ${n} | cut -d: -f6)`,
    `if [ -n "$h" ] && [ ! -e "$h" ]; then`,
    `  if [ -e ${skel} ]; then cp -a ${skel} "$h" || exit 1; else mkdir -p "$h" || exit 1; fi`,
    `  m=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-9]\\{1,\\}\\)$/\\1/p' /etc/login.defs 2>/dev/null | tail -1)`,
    `  [ -z "$m" ] || chmod $(printf '%o' $((0777 & ~0$m))) "$h" || exit 1`,
    `  chown -R ${n}: "$h" || exit 1`,
    'fi',
  ].join('\n');
}

/**
 * The user's ssh key (Ansible's ssh_key_gen): its folder made (0700, the user's), ssh-keygen
 * with the passphrase read from stdin (never on a command line), an existing key replaced only
 * with force; then the fingerprint, the file and the public key, as the module returns them.
 */
function sshKeyScript(a: UserArgs, hostname: string): string {
  const n = q(a.name);
  // The passphrase reaches ssh-keygen through an askpass helper reading it from the environment
  // (only its user and root can read that), not as -N on a command line every user can see.
  const keygen = [
    'JF_PP="$pp" SSH_ASKPASS="$ask" SSH_ASKPASS_REQUIRE=force',
    'ssh-keygen', '-q', '-t', q(a.ssh_key_type), ...(a.ssh_key_bits > 0 ? ['-b', String(a.ssh_key_bits)] : []),
    '-C', q(a.ssh_key_comment ?? `ansible-generated on ${hostname}`), '-f', '"$k"',
  ].join(' ');
  return [
    keyPathScript(a, true),
    'IFS= read -r pp || true',
    'd=$(dirname "$k")',
    `if [ ! -e "$d" ]; then mkdir -m 0700 "$d" && chown ${n}: "$d" || { echo "Failed to create $d" >&2; exit 1; }; fi`,
    `ask=$(mktemp) && printf '#!/bin/sh\\nprintf "%%s\\\\n" "$JF_PP"\\n' > "$ask" && chmod 700 "$ask" || exit 1`,
    // An existing key (force) is replaced: ssh-keygen asks on stdin, as Ansible answers it.
    `if [ -e "$k" ]; then echo y | ${keygen} >/dev/null; else ${keygen} </dev/null >/dev/null; fi; rc=$?; rm -f "$ask"; [ $rc = 0 ] || exit 1`,
    `chown ${n}: "$k" "$k.pub" || exit 1`,
    KEY_INFO,
  ].join('\n');
}

export const user: ModuleDef<UserArgs> = {
  name: 'user',
  argAliases: { createhome: 'create_home' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1 },
      state: { enum: ['present', 'absent'], default: 'present' },
      uid: { type: 'integer', minimum: 0 },
      group: { type: 'string' },
      groups: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] },
      append: { type: 'boolean', default: false },
      shell: { type: 'string' },
      home: { type: 'string' },
      create_home: { type: 'boolean', default: true },
      move_home: { type: 'boolean', default: false },
      system: { type: 'boolean', default: false },
      comment: { type: 'string' },
      password: { type: 'string' },
      update_password: { enum: ['always', 'on_create'], default: 'always' },
      password_lock: { type: 'boolean' },
      remove: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      non_unique: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      expires: { type: 'number' },
      password_expire_min: { type: 'integer' },
      password_expire_max: { type: 'integer' },
      umask: { type: 'string' },
      skeleton: { type: 'string' },
      generate_ssh_key: { type: 'boolean' },
      ssh_key_type: { type: 'string', default: 'rsa' },
      ssh_key_bits: { type: 'integer', default: 0 },
      ssh_key_file: { type: 'string' },
      ssh_key_comment: { type: 'string' },
      ssh_key_passphrase: { type: 'string' },
      ...USER_UNSUPPORTED_PROPS,
    },
  },
  async plan(a, ctx): Promise<Plan> {
    const unsupported = Object.keys(USER_UNSUPPORTED_PROPS).filter((k) => (a as unknown as Record<string, unknown>)[k] !== undefined && (a as unknown as Record<string, unknown>)[k] !== false);
    if (unsupported.length) return { changes: [], failed: true, msg: `user: ${unsupported.join(', ')} ${unsupported.length === 1 ? 'is' : 'are'} not supported by jitsi-fleet yet` };
    if (a.umask !== undefined && a.local) return { changes: [], failed: true, msg: "'umask' can not be used with 'local'" };
    if (a.local) return { changes: [], failed: true, msg: 'user: local (libuser\'s luseradd) is not supported by jitsi-fleet yet' };
    const out = await ctx.probe(probeScript(a));
    const { account, nameGroup, groupGid, homeExists, keyExists, hostname, v: probed } = parseProbe(out.stdout);
    const secrets = [a.password, account?.hash, a.ssh_key_passphrase].filter((s): s is string => Boolean(s) && s !== '!' && s !== '*');
    const warning = passwordWarning(a.password);
    if (a.state === 'absent') {
      const result = { ...(warning ? { warnings: [warning] } : {}), name: a.name, state: 'absent', force: a.force, remove: a.remove };
      if (!account) return { changes: [], msg: `user ${a.name} is absent`, result };
      const args = [...(a.force ? ['-f'] : []), ...(a.remove ? ['-r'] : []), a.name];
      return { ...run(`userdel ${args.map(q).join(' ')}`, 'userdel'), msg: `remove user ${a.name}`, result, secrets };
    }
    if (a.group !== undefined && groupGid === undefined) return { changes: [], failed: true, msg: `Group ${a.group} does not exist`, secrets };
    const groups = listOf(a.groups);
    const base = {
      ...(warning ? { warnings: [warning] } : {}),
      name: a.name, state: 'present',
      ...(account ? { append: a.append, move_home: a.move_home } : { system: a.system, create_home: a.create_home }),
      ...(a.password !== undefined ? { password: 'NOT_LOGGING_PASSWORD' } : {}),
    };
    /** The result once the account is as asked: its passwd entry as the host has it now. */
    const result = (acc: Partial<Account>, extra: Record<string, unknown> = {}) => ({
      ...base,
      ...(acc.uid !== undefined ? { uid: acc.uid } : {}), ...(acc.gid !== undefined ? { group: acc.gid } : {}),
      ...(acc.comment !== undefined ? { comment: acc.comment } : {}), ...(acc.home !== undefined ? { home: acc.home } : {}),
      ...(acc.shell !== undefined ? { shell: acc.shell } : {}), ...(groups ? { groups: groups.join(',') } : {}),
      ...extra,
    });

    // The account: useradd, or usermod for what differs.
    const steps: string[] = [];
    let what: string;
    if (!account) {
      const args = [
        ...(a.uid !== undefined ? ['-u', String(a.uid)] : []),
        ...(a.non_unique ? ['-o'] : []),
        ...(a.group !== undefined ? ['-g', a.group] : nameGroup ? ['-N'] : []),
        ...(groups && groups.length ? ['-G', groups.join(',')] : []),
        ...(a.comment !== undefined ? ['-c', a.comment] : []),
        ...(a.home !== undefined ? ['-d', a.home] : []),
        ...(a.shell !== undefined ? ['-s', a.shell] : []),
        ...(a.expires !== undefined ? ['-e', expiryDate(a.expires)] : []),
        ...(a.password !== undefined ? ['-p', a.password_lock ? `!${a.password}` : a.password] : []),
        ...(a.create_home ? ['-m', ...(a.skeleton !== undefined ? ['-k', a.skeleton] : []), ...(a.umask !== undefined ? ['-K', `UMASK=${a.umask}`] : [])] : ['-M']),
        ...(a.system ? ['-r'] : []),
        a.name,
      ];
      // A home folder whose parent is missing: useradd does not make the parent (Ansible makes it first).
      if (a.home !== undefined && a.create_home) steps.push(`mkdir -p "$(dirname ${q(a.home)})"`);
      steps.push(`useradd ${args.map(q).join(' ')}`);
      what = `create user ${a.name}`;
    } else {
      const mod: string[] = [];
      if (a.uid !== undefined && a.uid !== account.uid) mod.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
      if (a.group !== undefined && groupGid !== account.gid) mod.push('-g', a.group);
      if (groups) {
        const missing = groups.filter((g) => !account.groups.includes(g));
        const extra = account.groups.filter((g) => !groups.includes(g));
        if (missing.length || (!a.append && extra.length)) mod.push(...(a.append ? ['-a'] : []), '-G', (a.append ? missing : groups).join(','));
      }
      if (a.comment !== undefined && a.comment !== account.comment) mod.push('-c', a.comment);
      if (a.home !== undefined && a.home !== account.home) mod.push('-d', a.home, ...(a.move_home ? ['-m'] : []));
      if (a.shell !== undefined && a.shell !== account.shell) mod.push('-s', a.shell);
      if (a.expires !== undefined) {
        // Ansible compares the day only (year, month, day in UTC): a time zone does not make a change.
        if (a.expires < 0 ? account.expire >= 0 : account.expire < 0 || expiryDate(account.expire * 86400) !== expiryDate(a.expires)) mod.push('-e', expiryDate(a.expires));
      }
      let lock: string[] = [];
      if (a.password_lock === true && !account.hash.startsWith('!')) lock = ['-L'];
      if (a.password_lock === false && account.hash.startsWith('!')) lock = ['-U'];
      if (a.password !== undefined && a.update_password === 'always' && account.hash.replace(/^!+/, '') !== a.password.replace(/^!+/, '')) {
        // -p and -L/-U go not together: the lock rides on the hash.
        lock = ['-p', a.password_lock ? `!${a.password}` : a.password];
      }
      mod.push(...lock);
      if (mod.length) steps.push(`usermod ${[...mod, a.name].map(q).join(' ')}`);
      what = `change user ${a.name}`;
    }
    // A home folder the account lacks (made with it, or missing since: Ansible makes it).
    const home = a.home ?? account?.home;
    const makesHome = a.create_home && (!account ? false : !homeExists);
    if (makesHome) steps.push(createHomeScript(a.name, a.skeleton));
    // Password ages (chage): for a new account the defaults are unknown until it exists, so always.
    const ages: string[] = [];
    if (a.password_expire_min !== undefined && (!account || account.min !== a.password_expire_min)) ages.push('-m', String(a.password_expire_min));
    if (a.password_expire_max !== undefined && (!account || account.max !== a.password_expire_max)) ages.push('-M', String(a.password_expire_max));
    if (ages.length) steps.push(`chage ${[...ages, a.name].map(q).join(' ')}`);
    // The ssh key: made when missing (or with force; in check mode that is the change).
    const makesKey = Boolean(a.generate_ssh_key) && (!account || !keyExists || a.force);
    const changing = steps.length > 0 || makesKey;
    const keyResult = (v: Record<string, string>) => (a.generate_ssh_key ? { ssh_fingerprint: v.FINGERPRINT ?? '', ssh_key_file: v.KEYFILE ?? '', ssh_public_key: v.PUBKEY === undefined || v.PUBKEY === '' ? null : v.PUBKEY } : {});
    if (!changing) return { changes: [], msg: `user ${a.name} is as asked`, result: result(account!, keyResult(probed)), secrets };
    const script = [
      ...steps.map((s) => `{\n${s}\n} || exit $?`),
      ...(makesKey ? [sshKeyScript(a, hostname)] : a.generate_ssh_key ? [keyPathScript(a, false), KEY_INFO] : []),
      `echo "PASSWD=$(getent passwd ${q(a.name)})"`,
    ].join('\n');
    const planned = result(account ?? { uid: a.uid, home: home ?? `/home/${a.name}`, shell: a.shell, comment: a.comment });
    return {
      changes: [{ kind: 'exec', command: script, ...(makesKey ? { stdin: `${a.ssh_key_passphrase ?? ''}\n` } : {}) }],
      msg: what,
      result: planned,
      secrets,
      finish([o]) {
        const v = keyValueLines(o.stdout);
        if (o.code !== 0) return { failed: true, changed: false, msg: (o.stderr || o.stdout).trim() || `user: rc ${o.code}`, result: { name: a.name, rc: o.code, ...(o.stderr ? { stderr: o.stderr } : {}) } };
        const f = (v.PASSWD ?? '').split(':');
        const now = f.length >= 7 ? { uid: Number(f[2]), gid: Number(f[3]), comment: f[4], home: f[5], shell: f[6] } : {};
        return { changed: true, result: result(now, keyResult(v)) };
      },
    };
  },
};
