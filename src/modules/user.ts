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
}

interface Account {
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
  groups: string[];
  hash: string;
}

/** getent passwd, the groups the user is in besides its primary one, and its password hash. */
function probeScript(name: string, group: string | undefined): string {
  const n = q(name);
  return [
    `echo "PASSWD=$(getent passwd ${n})"`,
    `echo "GROUPS=$(getent group | awk -F: -v u=${n} '{ split($4, m, ","); for (i in m) if (m[i] == u) { print $1; break } }' | paste -sd, -)"`,
    `echo "SHADOW=$(getent shadow ${n} | cut -d: -f2)"`,
    `echo "NAMEGROUP=$(getent group ${n} | cut -d: -f1)"`,
    group !== undefined ? `echo "GROUP=$(getent group ${q(group)} | cut -d: -f3)"` : 'true',
  ].join('\n');
}

function parseProbe(stdout: string): { account?: Account; nameGroup: boolean; groupGid?: number } {
  const v: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) v[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const fields = (v.PASSWD ?? '').split(':');
  const account =
    v.PASSWD && fields.length >= 7
      ? { uid: Number(fields[2]), gid: Number(fields[3]), comment: fields[4], home: fields[5], shell: fields[6], groups: (v.GROUPS ?? '').split(',').filter(Boolean), hash: v.SHADOW ?? '' }
      : undefined;
  return { account, nameGroup: Boolean(v.NAMEGROUP), groupGid: v.GROUP ? Number(v.GROUP) : undefined };
}

/** Ansible's user arguments jitsi-fleet accepts so that a playbook loads; a task that sets one fails and says so. */
const USER_UNSUPPORTED_PROPS = {
  password_expire_max: { type: 'integer' },
  password_expire_min: { type: 'integer' },
  expires: { type: 'number' },
  generate_ssh_key: { type: 'boolean' },
  ssh_key_bits: { type: 'integer' },
  ssh_key_type: { type: 'string' },
  ssh_key_file: { type: 'string' },
  ssh_key_comment: { type: 'string' },
  ssh_key_passphrase: { type: 'string' },
  skeleton: { type: 'string' },
  umask: { type: 'string' },
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
      ...USER_UNSUPPORTED_PROPS,
    },
  },
  async plan(a, ctx): Promise<Plan> {
    const unsupported = Object.keys(USER_UNSUPPORTED_PROPS).filter((k) => (a as unknown as Record<string, unknown>)[k] !== undefined && (a as unknown as Record<string, unknown>)[k] !== false);
    if (unsupported.length) return { changes: [], failed: true, msg: `user: ${unsupported.join(', ')} ${unsupported.length === 1 ? 'is' : 'are'} not supported by jitsi-fleet yet` };
    const out = await ctx.probe(probeScript(a.name, a.group));
    const { account, nameGroup, groupGid } = parseProbe(out.stdout);
    const secrets = [a.password, account?.hash].filter((s): s is string => Boolean(s) && s !== '!' && s !== '*');
    if (a.state === 'absent') {
      const result = { name: a.name, state: 'absent', force: a.force, remove: a.remove };
      if (!account) return { changes: [], msg: `user ${a.name} is absent`, result };
      const args = [...(a.force ? ['-f'] : []), ...(a.remove ? ['-r'] : []), a.name];
      return { ...run(`userdel ${args.map(q).join(' ')}`, 'userdel'), msg: `remove user ${a.name}`, result, secrets };
    }
    if (a.group !== undefined && groupGid === undefined) return { changes: [], failed: true, msg: `Group ${a.group} does not exist`, secrets };
    const groups = listOf(a.groups);
    const result = (acc: Partial<Account>) => ({
      name: a.name, state: 'present', system: a.system, create_home: a.create_home, append: a.append,
      ...(acc.uid !== undefined ? { uid: acc.uid } : {}), ...(acc.gid !== undefined ? { group: acc.gid } : {}),
      ...(acc.home !== undefined ? { home: acc.home } : {}), ...(acc.shell !== undefined ? { shell: acc.shell } : {}),
      ...(acc.comment !== undefined ? { comment: acc.comment } : {}), ...(groups ? { groups: groups.join(',') } : {}),
      ...(a.password !== undefined ? { password: 'NOT_LOGGING_PASSWORD' } : {}),
    });
    if (!account) {
      const args = [
        ...(a.uid !== undefined ? ['-u', String(a.uid)] : []),
        ...(a.non_unique ? ['-o'] : []),
        ...(a.group !== undefined ? ['-g', a.group] : nameGroup ? ['-N'] : []),
        ...(groups && groups.length ? ['-G', groups.join(',')] : []),
        ...(a.comment !== undefined ? ['-c', a.comment] : []),
        ...(a.home !== undefined ? ['-d', a.home] : []),
        ...(a.shell !== undefined ? ['-s', a.shell] : []),
        ...(a.password !== undefined ? ['-p', a.password] : []),
        ...(a.create_home ? ['-m'] : ['-M']),
        ...(a.system ? ['-r'] : []),
        a.name,
      ];
      const lock = a.password_lock ? ` && usermod -L ${q(a.name)}` : '';
      // The uid the new user got is read back in the same command (Ansible's result has it).
      const plan = run(`useradd ${args.map(q).join(' ')}${lock} && id -u ${q(a.name)}`, 'useradd');
      const made = result({ uid: a.uid, home: a.home ?? `/home/${a.name}`, shell: a.shell, comment: a.comment });
      return {
        ...plan,
        msg: `create user ${a.name}`,
        result: made,
        secrets,
        finish(outs) {
          const r = plan.finish!(outs);
          const uid = Number.parseInt(outs[0]?.stdout.trim() ?? '', 10);
          return r.failed ? r : { changed: true, result: { ...made, uid: a.uid ?? (Number.isNaN(uid) ? undefined : uid) } };
        },
      };
    }
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
    if (a.password !== undefined && a.update_password === 'always' && a.password !== account.hash) mod.push('-p', a.password);
    if (a.password_lock === true && !account.hash.startsWith('!')) mod.push('-L');
    if (a.password_lock === false && account.hash.startsWith('!')) mod.push('-U');
    const now = result(account);
    if (mod.length === 0) return { changes: [], msg: `user ${a.name} is as asked`, result: now, secrets };
    return { ...run(`usermod ${[...mod, a.name].map(q).join(' ')}`, 'usermod'), msg: `change user ${a.name}`, result: result({ ...account, uid: a.uid ?? account.uid, home: a.home ?? account.home, shell: a.shell ?? account.shell, comment: a.comment ?? account.comment }), secrets };
  },
};
