/**
 * file: a path's kind and attributes, as Ansible's file module: state file
 * (attributes of an existing file), directory (created with its missing
 * parents), touch, link (symbolic), hard, absent; mode (octal or symbolic),
 * owner, group, recurse (a directory's whole tree), follow, force, src.
 * One read-only probe plans it; the changes are commands run in order.
 *
 * ```yaml
 * - file: { path: /etc/jitsi/jitsi-fleet, state: directory, mode: "0700" }
 * - file: { path: /etc/nginx/sites-enabled/meet.conf, src: ../sites-available/meet.conf, state: link }
 * ```
 */
import { parseDate } from '../template/filters.ts';
import path from 'node:path';
import { shellQuote } from '../util/shell-quote.ts';
import { asksAttributes, FILE_UNSUPPORTED_PROPS, modeText, normalizeMode, symbolicMode, unsupportedAttrs } from './file-attrs.ts';
import type { Change, ModuleDef, Plan } from './types.ts';

export interface FileArgs {
  path: string;
  state?: 'file' | 'directory' | 'touch' | 'link' | 'hard' | 'absent';
  src?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  recurse: boolean;
  follow: boolean;
  force: boolean;
  access_time?: string;
  modification_time?: string;
  access_time_format?: string;
  modification_time_format?: string;
  /** chattr's flags ('A', '+A', '-A', '=A'), as Ansible's set_attributes_if_different. */
  attributes?: string;
}

/** A time Ansible's file module sets: 'now', or seconds since the epoch; undefined: preserve. */
type Stamp = 'now' | number | undefined;

function stampOf(value: string | undefined, fmt: string | undefined, fallback: 'now' | 'preserve'): Stamp {
  const v = value ?? fallback;
  if (v === 'preserve') return undefined;
  if (v === 'now') return 'now';
  return parseDate(v, fmt ?? '%Y%m%d%H%M.%S').getTime() / 1000;
}

/** touch commands for the times asked that differ from the file's (now always differs), as Ansible's. */
function timeCommands(p: string, times: { atime: Stamp; mtime: Stamp }, have: { atime?: number; mtime?: number }): string[] {
  // Both to now in one touch: what a user who may write the file but does not own it may do (utimensat's rule).
  if (times.atime === 'now' && times.mtime === 'now') return [`touch -- ${shellQuote(p)}`];
  const out: string[] = [];
  for (const [flag, want, now] of [['-m', times.mtime, have.mtime], ['-a', times.atime, have.atime]] as const) {
    if (want === undefined) continue;
    if (want === 'now') out.push(`touch ${flag} -- ${shellQuote(p)}`);
    else if (now === undefined || Math.abs(now - want) >= 1) out.push(`touch ${flag} -d @${Math.round(want)} -- ${shellQuote(p)}`);
  }
  return out;
}

type Kind = 'absent' | 'file' | 'directory' | 'link' | 'other';

interface Probe {
  kind: Kind;
  mode: string;
  owner: string;
  group: string;
  /** lstat's numbers (Ansible's results and diffs show uid and gid). */
  uid?: number;
  gid?: number;
  size?: number;
  nlink?: number;
  umask: number;
  /** The owner and group asked, looked up on the host: [name, id], or null when there is none. */
  ownerId?: [string, number] | null;
  groupId?: [string, number] | null;
  /** state=absent on a folder: what it holds (Ansible's diff lists it). */
  content?: { directories: string[]; files: string[] };
  /** A link's target as written. */
  target?: string;
  /** With follow: what the path resolves to (file, directory or absent). */
  resolved?: { kind: Kind; mode: string; owner: string; group: string };
  /** Ancestors that do not exist yet, outermost first (state directory). */
  missing: string[];
  srcExists: boolean;
  /** Recurse: entries whose mode, owner or group differ from what is asked. */
  differing: number;
  /** Recurse with a symbolic mode: each entry's mode bits and whether it is a folder. */
  treeModes?: [number, boolean][];
  /** Hard link: the path and src are the same file. */
  sameFile: boolean;
  /** What src resolves to (link and hard). */
  srcStat?: Attrs & { isDir: boolean };
  /** The path is a directory with nothing in it (a link with force may replace it). */
  emptyDir?: boolean;
  atime?: number;
  mtime?: number;
  /** lsattr's flags of the path (letters only), when attributes are asked; '' when lsattr cannot read them. */
  attrFlags?: string;
  /** The flags a path made in the first folder there gets from it (the inheritable ones). */
  inheritedFlags?: string;
}

function probeScript(a: FileArgs, p: string, src: string | undefined, mode: string | undefined): string {
  const q = shellQuote(p);
  const kind = (x: string) => `if [ -L ${x} ]; then echo link; elif [ -d ${x} ]; then echo directory; elif [ -f ${x} ]; then echo file; elif [ -e ${x} ]; then echo other; else echo absent; fi`;
  const lines = [
    `echo "KIND=$(${kind(q)})"`,
    `[ -e ${q} ] || [ -L ${q} ] && echo "STAT=$(stat -c '%a|%U|%G|%X|%Y|%u|%g|%s|%h' -- ${q})"`,
    'echo "UMASK=$(umask)"',
    `[ -L ${q} ] && echo "TARGET=$(readlink -- ${q})"`,
    // What a link points at: -d, -f and -e follow the link.
    `[ -L ${q} ] && echo "RESOLVED=$(if [ -d ${q} ]; then echo directory; elif [ -f ${q} ]; then echo file; elif [ -e ${q} ]; then echo other; else echo absent; fi)|$(stat -L -c '%a|%U|%G' -- ${q} 2>/dev/null)"`,
    `d=${q}; while [ ! -e "$d" ] && [ ! -L "$d" ] && [ "$d" != / ] && [ "$d" != . ]; do echo "MISSING=$d"; d=$(dirname -- "$d"); done`,
  ];
  // A path made now gets the flags its folder passes on (ext4's e, an A or a D...): read from the first folder there.
  if (asksAttributes(a)) lines.push(`echo "LSATTR=$(lsattr -d -- ${q} 2>/dev/null | cut -d' ' -f1)"`, `echo "PARENTATTR=$(lsattr -d -- "$d" 2>/dev/null | cut -d' ' -f1)"`);
  if (a.owner !== undefined) lines.push(`echo "OWNERID=$(getent passwd -- ${shellQuote(a.owner)} | cut -d: -f1,3)"`);
  if (a.group !== undefined) lines.push(`echo "GROUPID=$(getent group -- ${shellQuote(a.group)} | cut -d: -f1,3)"`);
  // Whether a folder is empty (a link with force may replace only an empty one): listing it sets its
  // access time, so only where it matters (touch with access_time: preserve must leave it alone).
  if (a.state === 'link' || a.state === 'hard') lines.push(`[ -d ${q} ] && [ ! -L ${q} ] && [ -z "$(ls -A -- ${q} 2>/dev/null)" ] && echo EMPTYDIR=yes`);
  if (a.state === 'absent') lines.push(`[ -d ${q} ] && [ ! -L ${q} ] && find ${q} -mindepth 1 \\( -xtype d -printf 'SUBDIR=%p\\n' \\) -o -printf 'SUBFILE=%p\\n'`);
  if (src !== undefined) {
    // A link's relative src is read from the link's folder (from the path itself when that is a folder, as Ansible's).
    const s = src.startsWith('/') || a.state === 'hard' ? shellQuote(src) : `"$(if [ -d ${q} ] && [ ! -L ${q} ]; then printf %s ${q}; else dirname -- ${q}; fi)"/${shellQuote(src)}`;
    lines.push(`[ -e ${s} ] && echo SRC=yes && echo "SRCSTAT=$(stat -L -c '%a|%U|%G|%u|%g|%F' -- ${s})"`);
    if (a.state === 'hard') lines.push(`[ ${q} -ef ${s} ] && echo SAME=yes`);
  }
  if (a.recurse && (mode || a.owner || a.group)) {
    // Links have no mode of their own to set (and a broken one, read through, has nothing behind it).
    const tests = [mode && /^[0-7]+$/.test(mode) ? `\\( ! -type l ! -perm ${mode.replace(/^0(?=\d{3}$)/, '')} \\)` : '', a.owner ? `! -user ${shellQuote(a.owner)}` : '', a.group ? `! -group ${shellQuote(a.group)}` : ''].filter(Boolean);
    const find = `find ${a.follow ? '-L ' : ''}${q} -mindepth 1`;
    if (tests.length) lines.push(`[ -d ${q} ] && echo "DIFFERING=$(${find} \\( ${tests.join(' -o ')} \\) -print 2>/dev/null | head -n 1 | wc -l)"`);
    // A symbolic mode is worked out per entry here (find cannot test it): each entry's mode and kind.
    if (mode && !/^[0-7]+$/.test(mode)) lines.push(`[ -d ${q} ] && ${find} ! -type l -printf 'TREEMODE=%m|%y\\n' 2>/dev/null`);
  }
  return lines.join('\n');
}

function parseProbe(out: string): Probe {
  const p: Probe = { kind: 'absent', mode: '', owner: '', group: '', umask: 0o022, missing: [], srcExists: false, differing: 0, sameFile: false };
  const id = (v: string): [string, number] | null => {
    const [name, num] = v.split(':');
    return num === undefined || num === '' ? null : [name, Number(num)];
  };
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'KIND') p.kind = v as Kind;
    else if (k === 'STAT') {
      const [mode, owner, group, atime, mtime, uid, gid, size, nlink] = v.split('|');
      Object.assign(p, { mode, owner, group, atime: Number(atime), mtime: Number(mtime), uid: Number(uid), gid: Number(gid), size: Number(size), nlink: Number(nlink) });
    } else if (k === 'UMASK') p.umask = Number.parseInt(v, 8) || 0;
    else if (k === 'OWNERID') p.ownerId = id(v);
    else if (k === 'GROUPID') p.groupId = id(v);
    else if (k === 'SUBDIR' || k === 'SUBFILE') {
      p.content ??= { directories: [], files: [] };
      (k === 'SUBDIR' ? p.content.directories : p.content.files).push(v);
    }
    else if (k === 'TARGET') p.target = v;
    else if (k === 'RESOLVED') {
      const [kind, mode, owner, group] = v.split('|');
      p.resolved = { kind: (kind || 'absent') as Kind, mode: mode ?? '', owner: owner ?? '', group: group ?? '' };
    } else if (k === 'MISSING') p.missing.unshift(v);
    else if (k === 'SRC') p.srcExists = true;
    else if (k === 'SRCSTAT') {
      const [mode, owner, group, uid, gid, type] = v.split('|');
      p.srcStat = { mode, owner, group, uid: Number(uid), gid: Number(gid), isDir: type === 'directory' };
    }
    else if (k === 'SAME') p.sameFile = true;
    else if (k === 'LSATTR') p.attrFlags = v.replace(/-/g, '').trim();
    else if (k === 'PARENTATTR') p.inheritedFlags = v.replace(/-/g, '').replace(/[^AcCdDejsStuP]/g, '').trim();
    else if (k === 'EMPTYDIR') p.emptyDir = true;
    else if (k === 'DIFFERING') p.differing += Number(v) || 0;
    else if (k === 'TREEMODE') {
      const [m, y] = v.split('|');
      (p.treeModes ??= []).push([Number.parseInt(m, 8), y === 'd']);
    }
  }
  return p;
}

/** chmod/chown commands for one path (and its tree with recurse). */
function attrCommands(p: string, mode: string | undefined, owner: string | undefined, group: string | undefined, recurse = false, follow = false): string[] {
  const spec = shellQuote(`${owner ?? ''}${group ? ':' + group : ''}`);
  const q = shellQuote(p);
  if (recurse && follow) {
    // follow, as Ansible's recursive_set_attributes: what links point at changes (folders they point at walked),
    // a link's own owner too, a broken link is left alone. find walks through the links (chmod has no -L here).
    return [
      ...(owner || group ? [`find -L ${q} ! -type l -exec chown ${spec} {} +`, `find ${q} -type l -exec chown -h ${spec} {} +`] : []),
      ...(mode ? [`find -L ${q} ! -type l -exec chmod ${shellQuote(mode)} {} +`] : []),
    ];
  }
  const r = recurse ? '-R ' : '';
  return [...(owner || group ? [`chown ${r}${spec} -- ${q}`] : []), ...(mode ? [`chmod ${r}${shellQuote(mode)} -- ${q}`] : [])];
}

export const file: ModuleDef<FileArgs> = {
  name: 'file',
  hostPaths: ['path', 'src'],
  argAliases: { dest: 'path', name: 'path', attr: 'attributes' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1 },
      state: { enum: ['file', 'directory', 'touch', 'link', 'hard', 'absent'] },
      src: { type: 'string' },
      mode: { type: ['string', 'integer'] },
      owner: { type: 'string' },
      group: { type: 'string' },
      recurse: { type: 'boolean', default: false },
      follow: { type: 'boolean', default: true },
      force: { type: 'boolean', default: false },
      // Ansible's internal diff probe: accepted, nothing to do with it here.
      _diff_peek: { type: 'boolean' },
      ...FILE_UNSUPPORTED_PROPS,
      access_time: { type: 'string' },
      modification_time: { type: 'string' },
      access_time_format: { type: 'string' },
      modification_time_format: { type: 'string' },
    },
  },
  async plan(a, ctx): Promise<Plan> {
    const attrs = unsupportedAttrs(a as unknown as Record<string, unknown>, { attributes: true });
    if (attrs) return { changes: [], failed: true, msg: attrs };
    const plan = await planFile(a, ctx);
    if (plan.changes.length === 0 || plan.failed) return plan;
    // The path read back after the change, for the result (Ansible's add_path_info: lstat, when the path exists).
    const at = String(plan.result?.path ?? plan.result?.dest ?? a.path);
    const q = shellQuote(at);
    const readBack = ` && { stat -L -- ${q} >/dev/null 2>&1 && stat -c '${AFTER_FORMAT}' -- ${q} || true; }`;
    const changes = plan.changes.map((c, i) => (c.kind === 'exec' && i === plan.changes.length - 1 ? { ...c, command: c.command + readBack } : c));
    return {
      ...plan,
      changes,
      finish(outcomes) {
        const o = outcomes[outcomes.length - 1];
        if (o && o.code !== 0) return { failed: true, changed: false, msg: `${plan.msg} failed (exit ${o.code}): ${(o.stderr || o.stdout).trim().split('\n').slice(-2).join(' ')}` };
        const info = o ? parseAfter(o.stdout) : undefined;
        return { changed: true, ...(info ? { result: info } : {}) };
      },
    };
  },
};

/** A path's state as Ansible's get_state names it (a file with several links is 'hard'). */
function ansibleState(pr: Probe): string {
  if (pr.kind === 'absent' || pr.kind === 'link' || pr.kind === 'directory') return pr.kind;
  return (pr.nlink ?? 1) > 1 ? 'hard' : 'file';
}

interface Attrs {
  mode: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
}

/** What Ansible's add_path_info adds to a result for a path that exists: lstat's numbers and names. */
function pathInfo(st: { mode: string; uid: number; gid: number; owner: string; group: string; size: number; nlink: number; kind: string }): Record<string, unknown> {
  const name = (n: string, id: number) => (n === 'UNKNOWN' ? String(id) : n);
  const state = st.kind === 'link' ? 'link' : st.kind === 'directory' ? 'directory' : st.nlink > 1 ? 'hard' : 'file';
  return { uid: st.uid, gid: st.gid, owner: name(st.owner, st.uid), group: name(st.group, st.gid), mode: modeText(Number.parseInt(st.mode, 8)), state, size: st.size };
}

/** The format of the stat line a changed path is read back with (after the change's commands). */
const AFTER_FORMAT = 'AFTER=%a|%U|%G|%u|%g|%s|%h|%F';

function parseAfter(stdout: string): Record<string, unknown> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('AFTER='));
  if (!line) return undefined;
  const [mode, owner, group, uid, gid, size, nlink, type] = line.slice(6).split('|');
  const kind = type === 'symbolic link' ? 'link' : type === 'directory' ? 'directory' : 'file';
  return pathInfo({ mode, owner, group, uid: Number(uid), gid: Number(gid), size: Number(size), nlink: Number(nlink), kind });
}

/** The file module's plan for one path (copy plans the symlinks of a folder it copies with it). */
export async function planFile(a: FileArgs, ctx: Parameters<ModuleDef<FileArgs>['plan']>[1]): Promise<Plan> {
  const p = a.path.replace(/\/+$/, '') || '/';
  const asked = normalizeMode(a.mode);
  const out = await ctx.probe(probeScript(a, p, a.src, asked));
  if (out.code !== 0 && !out.stdout.includes('KIND=')) return { changes: [], failed: true, msg: `cannot look at ${p}: ${(out.stderr || out.stdout).trim()}` };
  const pr = parseProbe(out.stdout);
  const prev = pr.kind;
  const state = a.state ?? (a.recurse ? 'directory' : prev === 'absent' ? 'file' : prev === 'other' ? 'file' : prev);
  // access_time/modification_time: 'now', 'preserve' (the default, and for touch 'now') or a time in *_format.
  let times: { atime: Stamp; mtime: Stamp };
  try {
    const fallback = state === 'touch' ? 'now' : 'preserve';
    times = { atime: stampOf(a.access_time, a.access_time_format, fallback), mtime: stampOf(a.modification_time, a.modification_time_format, fallback) };
  } catch (e) {
    return { changes: [], failed: true, msg: (e as Error).message };
  }
  // Ansible's diff (the file module returns it always): the path, the state when it changes, each attribute that changes.
  const before: Record<string, unknown> = { path: p };
  const after: Record<string, unknown> = { path: p };
  const diff = { before, after };
  const initialDiff = (to: string) => {
    const from = ansibleState(pr);
    if (from === to) return;
    Object.assign(before, { state: from });
    Object.assign(after, { state: to });
    if (to === 'absent' && from === 'directory') before.path_content = pr.content ?? { directories: [], files: [] };
  };
  // In check mode, an owner or group that does not exist (yet) is a warning (Ansible's check_owner_exists).
  const warnings: string[] = [];
  if (ctx.check && state !== 'absent') {
    for (const [what, v, found] of [['user', a.owner, pr.ownerId], ['group', a.group, pr.groupId]] as const) {
      if (v === undefined || found) continue;
      warnings.push(/^\d+$/.test(v) ? `failed to look up ${what} with ${what === 'user' ? 'uid' : 'gid'} ${v}. Create ${what} up to this point in real play` : `failed to look up ${what} ${v}. Create ${what} up to this point in real play`);
    }
  }
  // Where the path exists (following a link), the result carries its lstat as the module saw it.
  const exists = prev !== 'absent' && !(prev === 'link' && pr.resolved?.kind === 'absent');
  const seen = exists && pr.uid !== undefined ? pathInfo({ ...pr, uid: pr.uid, gid: pr.gid!, size: pr.size!, nlink: pr.nlink!, kind: prev }) : {};
  // A failure's result has the path's attributes too (Ansible's fail_json adds them as exit_json does).
  const fail = (msg: string, extra: Record<string, unknown> = {}): Plan => ({ changes: [], failed: true, msg, result: { path: p, ...extra, ...seen, ...(warnings.length ? { warnings } : {}) } });
  const keyOf = (st: string) => (st === 'touch' || st === 'link' || st === 'hard' ? 'dest' : 'path');
  const result = (st: string, extra: Record<string, unknown> = {}) => ({ [keyOf(st)]: p, state: st === 'touch' ? 'file' : st, ...extra, ...seen, diff, ...(warnings.length ? { warnings } : {}) });
  const done = (changes: Change[], msg: string, st: string, extra: Record<string, unknown> = {}): Plan =>
    changes.length ? { changes, msg, result: result(st, extra) } : { changes, msg: `${p} is already ${st === 'absent' ? 'absent' : `a ${st === 'file' ? 'file' : st}`} with the attributes asked`, result: result(st, extra) };
  // The commands of a change run as one, stopping at the first that fails.
  const exec = (cmds: string[]): Change[] => (cmds.length ? [{ kind: 'exec', command: cmds.join(' && ') }] : []);

  /**
   * The commands that give `target` the mode, owner and group asked (Ansible's
   * set_fs_attributes_if_different), recorded in the diff; a symbolic mode is
   * worked out here against the current bits, so the diff and the result say the octal mode.
   */
  const attrs = (target: string, cur: Attrs, isDir: boolean): string[] | { error: string } => {
    const cmds: string[] = [];
    // Owner, then group: the id asked (looked up on the host, or a number), recorded in the diff as ids.
    for (const [key, asked_, found, have, name, tool] of [
      ['owner', a.owner, pr.ownerId, cur.uid ?? cur.owner, 'user', 'chown'],
      ['group', a.group, pr.groupId, cur.gid ?? cur.group, 'group', 'chgrp'],
    ] as const) {
      if (asked_ === undefined) continue;
      const id = found?.[1] ?? (/^\d+$/.test(asked_) ? Number(asked_) : undefined);
      if (id === undefined) return { error: `${tool} failed: failed to look up ${name} ${asked_}` };
      if (typeof have === 'number' ? have !== id : have !== asked_) {
        Object.assign(before, { [key]: typeof have === 'number' ? have : undefined });
        Object.assign(after, { [key]: id });
        cmds.push(`${tool} ${shellQuote(asked_)} -- ${shellQuote(target)}`);
      }
    }
    if (asked !== undefined) {
      const have = Number.parseInt(cur.mode || '0', 8);
      let want: number;
      try {
        want = /^[0-7]{4}$/.test(asked) ? Number.parseInt(asked, 8) : symbolicMode(have, asked, isDir, pr.umask);
      } catch (e) {
        return { error: `mode must be in octal or symbolic form: ${(e as Error).message}` };
      }
      if (want !== have) {
        Object.assign(before, { mode: modeText(have) });
        Object.assign(after, { mode: modeText(want) });
        cmds.push(`chmod ${modeText(want)} -- ${shellQuote(target)}`);
      }
    }
    if (asksAttributes(a)) {
      // After owner, group and mode, as Ansible's set_fs_attributes_if_different (an immutable flag would stop a chmod).
      // Ansible's set_attributes_if_different: lsattr's letters against those asked; '-' always runs chattr.
      const mod = /^[-+=]/.test(a.attributes) ? a.attributes[0] : '=';
      const letters = a.attributes.replace(/^[-+=]/, '');
      // What the path has, or for a path this task makes, what it will have from its folder (Ansible reads it after making it).
      const existing = target === p && pr.kind !== 'absent' ? (pr.attrFlags ?? '') : (pr.inheritedFlags ?? '');
      if (existing !== letters || mod === '-') {
        Object.assign(before, { attributes: existing });
        Object.assign(after, { attributes: `${mod}${letters}` });
        // Anything chattr says is a failure, as Ansible's (`rc != 0 or err`): it exits 0 when ext4 refuses to clear a flag (e).
        cmds.push(`{ jf_e=$(chattr ${shellQuote(`${mod}${letters}`)} -- ${shellQuote(target)} 2>&1) && [ -z "$jf_e" ] || { printf 'chattr failed: %s\\n' "$jf_e" >&2; false; }; }`);
      }
    }
    return cmds;
  };
  /** Times asked, with the diff Ansible's update_timestamp_for_file records. */
  const stamp = (target: string, have: { atime?: number; mtime?: number }): string[] => {
    const cmds = timeCommands(target, times, have);
    const now = Date.now() / 1000;
    for (const [k, want] of [['mtime', times.mtime], ['atime', times.atime]] as const) {
      if (want === undefined) continue;
      const v = want === 'now' ? now : want;
      if (have[k] === undefined || Math.abs(have[k]! - v) >= 1) {
        Object.assign(before, { [k]: have[k] });
        Object.assign(after, { [k]: v });
      }
    }
    return cmds;
  };
  const current: Attrs = { mode: pr.mode, uid: pr.uid, gid: pr.gid, owner: pr.owner, group: pr.group };
  // A new file or folder: what creating it gives (0666 or 0777 less the umask, the connecting user).
  const fresh = (isDir: boolean): Attrs => ({ mode: ((isDir ? 0o777 : 0o666) & ~pr.umask).toString(8) });

  if (a.recurse && state !== 'directory') return fail("recurse option requires state to be 'directory'");
  if (a.src !== undefined && state !== 'link' && state !== 'hard') return fail("src option requires state to be 'link' or 'hard'");
  // A hard link asked where a folder is: made inside it, named after src (Ansible's additional_parameter_handling).
  if (state === 'hard' && a.src !== undefined && (prev === 'directory' || pr.resolved?.kind === 'directory')) return planFile({ ...a, path: path.posix.join(p, path.posix.basename(a.src)) }, ctx);
  // A link without src keeps the target it has when follow is on (Ansible's): only its target's attributes change.
  const keepsTarget = state === 'link' && a.src === undefined && prev === 'link' && pr.target !== undefined;
  if (state === 'link' && a.src === undefined && !keepsTarget) return fail('src is required for creating new symlinks');
  if (state === 'hard' && a.src === undefined && ansibleState(pr) !== 'hard') return { changes: [], failed: true, msg: 'src is required for creating new hardlinks' };

  switch (state) {
    case 'absent': {
      if (prev === 'absent') return { changes: [], msg: `${p} is already absent`, result: { path: p, state: 'absent' } };
      initialDiff('absent');
      return { changes: exec([`rm -rf -- ${shellQuote(p)}`]), msg: `remove ${p}`, result: { path: p, state: 'absent', diff, ...(ctx.check ? seen : {}) } };
    }
    case 'file': {
      let kind = prev;
      let cur = current;
      if (prev === 'link' && a.follow && pr.resolved) {
        kind = pr.resolved.kind;
        cur = { mode: pr.resolved.mode, owner: pr.resolved.owner, group: pr.resolved.group };
      }
      if (kind === 'absent') return fail(`file (${p}) is absent, cannot continue`, { state: 'absent' });
      if (kind !== 'file' && kind !== 'other') return fail(`file (${p}) is ${kind}, cannot continue`, { state: kind });
      initialDiff('file');
      const cmds = attrs(p, cur, false);
      if ('error' in cmds) return fail(cmds.error);
      return done(exec([...cmds, ...stamp(p, kind === prev ? pr : {})]), `set the attributes of ${p}`, 'file');
    }
    case 'directory': {
      initialDiff('directory');
      if (prev === 'absent') {
        const made: string[] = [];
        for (const d of pr.missing) {
          const cmds = attrs(d, fresh(true), true);
          if ('error' in cmds) return fail(cmds.error);
          // Another run (or host sharing the folder) may make it first: a folder there is fine, as Ansible's EEXIST check;
          // anything else fails with mkdir's own words.
          made.push(`{ mkdir -- ${shellQuote(d)} 2>/dev/null || test -d ${shellQuote(d)} || mkdir -- ${shellQuote(d)}; }`, ...cmds);
        }
        if (ctx.check) for (const k of ['mode', 'owner', 'group']) delete before[k], delete after[k];
        return { changes: exec(made.length ? made : [`mkdir -p -- ${shellQuote(p)}`]), msg: `create directory ${p}`, result: result('directory') };
      }
      const isDir = prev === 'directory' || (prev === 'link' && a.follow && pr.resolved?.kind === 'directory');
      if (!isDir) return fail(`${p} already exists as a ${ansibleState(pr)}`, { state: ansibleState(pr) });
      const cur = prev === 'link' && pr.resolved ? { mode: pr.resolved.mode, owner: pr.resolved.owner, group: pr.resolved.group } : current;
      const cmds = attrs(p, cur, true);
      if ('error' in cmds) return fail(cmds.error);
      // recurse: the tree's entries in one chmod/chown -R (a symbolic mode as chmod reads it, entry by entry).
      const symbolicDiffers = (pr.treeModes ?? []).some(([m, isDir]) => {
        try {
          return symbolicMode(m, asked!, isDir, pr.umask) !== m;
        } catch {
          return true;
        }
      });
      if (a.recurse && (pr.differing > 0 || symbolicDiffers)) cmds.push(...attrCommands(p, asked, a.owner, a.group, true, a.follow));
      cmds.push(...stamp(p, cur === current ? pr : {}));
      return done(exec([...new Set(cmds)]), `set the attributes of ${p}${a.recurse ? ' and its tree' : ''}`, 'directory');
    }
    case 'touch': {
      initialDiff('touch');
      if (prev === 'absent') {
        const cmds = attrs(p, fresh(false), false);
        if ('error' in cmds) return fail(cmds.error);
        const rest = [...cmds, ...stamp(p, {}).filter((c) => c.includes(' -d @'))];
        // The file just made is removed again when its attributes cannot be set (Ansible's execute_touch).
        const all = [`touch -- ${shellQuote(p)}`, ...(rest.length ? [`{ ${rest.join(' && ')} || { rm -f -- ${shellQuote(p)}; false; }; }`] : [])];
        // In check mode Ansible says only that it would create the file.
        return { changes: exec(all), msg: `create ${p}`, result: ctx.check ? { dest: p, ...(warnings.length ? { warnings } : {}) } : result('touch') };
      }
      // An existing path: its times (now, unless preserved) and the attributes that differ.
      const cmds = attrs(p, current, prev === 'directory');
      if ('error' in cmds) return fail(cmds.error);
      return done(exec([...cmds, ...stamp(p, pr)]), `update the times of ${p}`, 'touch');
    }
    case 'link': {
      const src = a.src ?? pr.target!;
      const abs = src.startsWith('/') ? src : path.posix.join(prev === 'directory' ? p : path.posix.dirname(p), src);
      if (!pr.srcExists && !a.force && a.src !== undefined) return fail(`src file does not exist, use "force=yes" if you really want to create the link: ${abs}`, { src });
      if (prev === 'directory' && !a.force) return fail(`refusing to convert from directory to symlink for ${p}`);
      if (prev === 'directory' && !pr.emptyDir) return fail(`the directory ${p} is not empty, refusing to convert it`);
      if ((prev === 'file' || prev === 'other') && !a.force) return fail(`refusing to convert from ${ansibleState(pr)} to symlink for ${p}`);
      initialDiff('link');
      const cmds: string[] = [];
      const relink = prev !== 'link' || pr.target !== src;
      if (prev === 'link' && pr.target !== src) {
        before.src = pr.target;
        after.src = src;
      }
      if (relink) cmds.push(...(prev === 'absent' ? [`ln -s -- ${shellQuote(src)} ${shellQuote(p)}`] : prev === 'directory' ? [`rmdir -- ${shellQuote(p)}`, `ln -s -- ${shellQuote(src)} ${shellQuote(p)}`] : [`ln -sfn -- ${shellQuote(src)} ${shellQuote(p)}`]));
      // Attributes: with follow, those of what the link points at (chmod and chown follow it), when it exists;
      // without, the link's own owner and group (Linux has no mode for links).
      const r = relink ? pr.srcStat : pr.resolved && pr.resolved.kind !== 'absent' ? { ...pr.resolved, isDir: pr.resolved.kind === 'directory' } : undefined;
      if (a.follow && r) {
        const set = attrs(p, r, r.isDir);
        if ('error' in set) return fail(set.error);
        cmds.push(...set);
      } else {
        if (a.owner !== undefined || a.group !== undefined) {
          const differ = relink || (a.owner !== undefined && a.owner !== pr.owner) || (a.group !== undefined && a.group !== pr.group);
          if (differ) cmds.push(`chown -h ${shellQuote(`${a.owner ?? ''}${a.group ? ':' + a.group : ''}`)} -- ${shellQuote(p)}`);
        }
        // A mode for the link itself: Linux has none to set (no lchmod); Ansible's diff still records the attempt.
        if (asked !== undefined && !relink) {
          try {
            const want = /^[0-7]{4}$/.test(asked) ? Number.parseInt(asked, 8) : symbolicMode(0o777, asked, false, pr.umask);
            if (want !== 0o777) Object.assign(before, { mode: '0777' }), Object.assign(after, { mode: modeText(want) });
          } catch {
            // a bad symbolic mode changes nothing on a link
          }
        }
      }
      if (a.follow && !r) warnings.push('Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this.');
      // src as Ansible reports it: unset without follow (or with a broken link), the link's target with it.
      return done(exec(cmds), relink ? `link ${p} -> ${src}` : `set the attributes of the target of ${p}`, 'link', { src: a.src ?? (a.follow && pr.resolved?.kind !== 'absent' ? src : null) });
    }
    case 'hard': {
      // Without src, an existing hard link is left as it is (the check above refused a new one).
      if (a.src === undefined) return done([], '', 'hard');
      const src = a.src;
      if (!pr.srcExists) return fail('src does not exist', { dest: p, src });
      const from = ansibleState(pr);
      let relink = true;
      if (from === 'link') relink = pr.target !== src;
      else if (from === 'hard' || from === 'file') {
        relink = !pr.sameFile;
        if (relink && !a.force) return fail(from === 'hard' ? 'Cannot link, different hard link exists at destination' : 'Cannot link, file exists at destination', { dest: p, src });
      } else if (from === 'directory') return fail(a.force ? `cannot replace the directory ${p} with a hard link` : 'Cannot link: different hard link exists at destination', { dest: p, src });
      initialDiff('hard');
      if (from === 'link' && relink) {
        before.src = pr.target;
        after.src = src;
      }
      // After linking, the path is src's inode: its attributes are src's.
      const cur = relink || from === 'link' ? pr.srcStat ?? { mode: '' } : current;
      const cmds = attrs(p, cur, false);
      if ('error' in cmds) return fail(cmds.error);
      const link = relink ? [`ln -f -- ${shellQuote(src)} ${shellQuote(p)}`] : [];
      return done(exec([...link, ...cmds, ...stamp(p, relink ? {} : pr)]), relink ? `hard link ${p} -> ${src}` : `set the attributes of ${p}`, 'hard', { src });
    }
    default:
      return { changes: [], failed: true, msg: `unsupported state ${String(state)}` };
  }
}
