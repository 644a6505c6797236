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
import { attrsDiffer, FILE_UNSUPPORTED_PROPS, normalizeMode, unsupportedAttrs } from './file-attrs.ts';
import type { FileInfo } from '../connection/types.ts';
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
  /** A link's target as written. */
  target?: string;
  /** With follow: what the path resolves to (file, directory or absent). */
  resolved?: { kind: Kind; mode: string; owner: string; group: string };
  /** Ancestors that do not exist yet, outermost first (state directory). */
  missing: string[];
  srcExists: boolean;
  /** Recurse: entries whose mode, owner or group differ from what is asked. */
  differing: number;
  /** Hard link: the path and src are the same file. */
  sameFile: boolean;
  /** The path is a directory with nothing in it (a link with force may replace it). */
  emptyDir?: boolean;
  atime?: number;
  mtime?: number;
}

function probeScript(a: FileArgs, p: string, src: string | undefined, mode: string | undefined): string {
  const q = shellQuote(p);
  const kind = (x: string) => `if [ -L ${x} ]; then echo link; elif [ -d ${x} ]; then echo directory; elif [ -f ${x} ]; then echo file; elif [ -e ${x} ]; then echo other; else echo absent; fi`;
  const lines = [
    `echo "KIND=$(${kind(q)})"`,
    `[ -e ${q} ] || [ -L ${q} ] && echo "STAT=$(stat -c '%a|%U|%G|%X|%Y' -- ${q})"`,
    `[ -L ${q} ] && echo "TARGET=$(readlink -- ${q})"`,
    // What a link points at: -d, -f and -e follow the link.
    `[ -L ${q} ] && echo "RESOLVED=$(if [ -d ${q} ]; then echo directory; elif [ -f ${q} ]; then echo file; elif [ -e ${q} ]; then echo other; else echo absent; fi)|$(stat -L -c '%a|%U|%G' -- ${q} 2>/dev/null)"`,
    `[ -d ${q} ] && [ ! -L ${q} ] && [ -z "$(ls -A -- ${q} 2>/dev/null)" ] && echo EMPTYDIR=yes`,
    `d=${q}; while [ ! -e "$d" ] && [ ! -L "$d" ] && [ "$d" != / ] && [ "$d" != . ]; do echo "MISSING=$d"; d=$(dirname -- "$d"); done`,
  ];
  if (src !== undefined) {
    const s = shellQuote(src.startsWith('/') || a.state === 'hard' ? src : path.posix.join(path.posix.dirname(p), src));
    lines.push(`[ -e ${s} ] && echo SRC=yes`);
    if (a.state === 'hard') lines.push(`[ ${q} -ef ${s} ] && echo SAME=yes`);
  }
  if (a.recurse && (mode || a.owner || a.group)) {
    const tests = [mode && /^[0-7]+$/.test(mode) ? `! -perm ${mode.replace(/^0(?=\d{3}$)/, '')}` : '', a.owner ? `! -user ${shellQuote(a.owner)}` : '', a.group ? `! -group ${shellQuote(a.group)}` : ''].filter(Boolean);
    // A symbolic mode cannot be tested by find: the tree counts as differing (chmod -R runs).
    const sym = mode && !/^[0-7]+$/.test(mode);
    lines.push(sym ? `[ -d ${q} ] && echo DIFFERING=1` : `[ -d ${q} ] && echo "DIFFERING=$(find ${q} -mindepth 1 \\( ${tests.join(' -o ')} \\) -print 2>/dev/null | head -n 1 | wc -l)"`);
  }
  return lines.join('\n');
}

function parseProbe(out: string): Probe {
  const p: Probe = { kind: 'absent', mode: '', owner: '', group: '', missing: [], srcExists: false, differing: 0, sameFile: false };
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'KIND') p.kind = v as Kind;
    else if (k === 'STAT') {
      const [mode, owner, group, atime, mtime] = v.split('|');
      Object.assign(p, { mode, owner, group, atime: Number(atime), mtime: Number(mtime) });
    }
    else if (k === 'TARGET') p.target = v;
    else if (k === 'RESOLVED') {
      const [kind, mode, owner, group] = v.split('|');
      p.resolved = { kind: (kind || 'absent') as Kind, mode: mode ?? '', owner: owner ?? '', group: group ?? '' };
    } else if (k === 'MISSING') p.missing.unshift(v);
    else if (k === 'SRC') p.srcExists = true;
    else if (k === 'SAME') p.sameFile = true;
    else if (k === 'EMPTYDIR') p.emptyDir = true;
    else if (k === 'DIFFERING') p.differing = Number(v) || 0;
  }
  return p;
}

/** chmod/chown commands for one path (and its tree with recurse). */
function attrCommands(p: string, mode: string | undefined, owner: string | undefined, group: string | undefined, recurse = false): string[] {
  const r = recurse ? '-R ' : '';
  const out: string[] = [];
  if (owner || group) out.push(`chown ${r}${shellQuote(`${owner ?? ''}${group ? ':' + group : ''}`)} -- ${shellQuote(p)}`);
  if (mode) out.push(`chmod ${r}${shellQuote(mode)} -- ${shellQuote(p)}`);
  return out;
}

function infoOf(kind: Kind, mode: string, owner: string, group: string): FileInfo {
  return kind === 'directory' ? { state: 'directory', mode, owner, group } : { state: 'file', mode, owner, group, content: Buffer.alloc(0) };
}

export const file: ModuleDef<FileArgs> = {
  name: 'file',
  hostPaths: ['path', 'src'],
  argAliases: { dest: 'path', name: 'path' },
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
    const attrs = unsupportedAttrs(a as unknown as Record<string, unknown>);
    if (attrs) return { changes: [], failed: true, msg: attrs };
    const plan = await planFile(a, ctx);
    if (plan.changes.length === 0) return plan;
    return {
      ...plan,
      finish([o]) {
        if (o && o.code !== 0) return { failed: true, changed: false, msg: `${plan.msg} failed (exit ${o.code}): ${(o.stderr || o.stdout).trim().split('\n').slice(-2).join(' ')}` };
        return { changed: true };
      },
    };
  },
};

/** The file module's plan for one path (copy plans the symlinks of a folder it copies with it). */
export async function planFile(a: FileArgs, ctx: Parameters<ModuleDef<FileArgs>['plan']>[1]): Promise<Plan> {
  {
    const p = a.path.replace(/\/+$/, '') || '/';
    const mode = normalizeMode(a.mode);
    const out = await ctx.probe(probeScript(a, p, a.src, mode));
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
    const result = (st: string, extra: Record<string, unknown> = {}) => ({ path: p, state: st, ...(mode ? { mode } : {}), ...(a.owner ? { owner: a.owner } : {}), ...(a.group ? { group: a.group } : {}), ...extra });
    const done = (changes: Change[], msg: string, st: string, extra: Record<string, unknown> = {}): Plan =>
      changes.length ? { changes, msg, result: result(st, extra) } : { changes, msg: `${p} is already ${st === 'absent' ? 'absent' : `a ${st === 'file' ? 'file' : st}`} with the attributes asked`, result: result(st, extra) };
    // The commands of a change run as one, stopping at the first that fails.
    const exec = (cmds: string[]): Change[] => (cmds.length ? [{ kind: 'exec', command: cmds.join(' && ') }] : []);
    if (a.recurse && state !== 'directory') return { changes: [], failed: true, msg: 'recurse option requires state to be directory' };
    // A link without src keeps the target it has when follow is on (Ansible's): only its target's attributes change.
    const keepsTarget = state === 'link' && a.src === undefined && prev === 'link' && pr.target !== undefined;
    if ((state === 'link' || state === 'hard') && a.src === undefined && !keepsTarget) return { changes: [], failed: true, msg: `src option is required when state is ${state}` };

    switch (state) {
      case 'absent':
        return prev === 'absent' ? { changes: [], msg: `${p} is already absent`, result: { path: p, state: 'absent' } } : { changes: exec([`rm -rf -- ${shellQuote(p)}`]), msg: `remove ${p}`, result: { path: p, state: 'absent' } };
      case 'file': {
        let kind = prev;
        let attrs = pr;
        if (prev === 'link' && a.follow && pr.resolved) {
          kind = pr.resolved.kind;
          attrs = { ...pr, ...pr.resolved };
        }
        if (kind === 'absent') return { changes: [], failed: true, msg: `file (${p}) is absent, cannot continue`, result: { path: p, state: 'absent' } };
        if (kind !== 'file') return { changes: [], failed: true, msg: `file (${p}) is ${kind}, cannot continue`, result: { path: p, state: kind } };
        const differ = attrsDiffer(infoOf('file', attrs.mode, attrs.owner, attrs.group), mode, a.owner, a.group);
        return done(exec([...(differ ? attrCommands(p, mode, a.owner, a.group) : []), ...timeCommands(p, times, attrs)]), `set the attributes of ${p}`, 'file');
      }
      case 'directory': {
        if (prev === 'absent') {
          const cmds = pr.missing.flatMap((d) => [`mkdir -- ${shellQuote(d)}`, ...attrCommands(d, mode, a.owner, a.group)]);
          return { changes: exec(cmds.length ? cmds : [`mkdir -p -- ${shellQuote(p)}`]), msg: `create directory ${p}`, result: result('directory') };
        }
        const isDir = prev === 'directory' || (prev === 'link' && a.follow && pr.resolved?.kind === 'directory');
        if (!isDir) return { changes: [], failed: true, msg: `${p} already exists as a ${prev === 'link' ? 'link' : 'file'}`, result: { path: p, state: prev } };
        const attrs = prev === 'link' && pr.resolved ? pr.resolved : pr;
        const cmds: string[] = [];
        if (attrsDiffer(infoOf('directory', attrs.mode, attrs.owner, attrs.group), mode, a.owner, a.group)) cmds.push(...attrCommands(p, mode, a.owner, a.group));
        if (a.recurse && pr.differing > 0) cmds.push(...attrCommands(p, mode, a.owner, a.group, true));
        cmds.push(...timeCommands(p, times, attrs === pr ? pr : {}));
        return done(exec([...new Set(cmds)]), `set the attributes of ${p}${a.recurse ? ' and its tree' : ''}`, 'directory');
      }
      case 'touch': {
        if (prev === 'absent') {
          const cmds = [`touch -- ${shellQuote(p)}`, ...attrCommands(p, mode, a.owner, a.group), ...timeCommands(p, times, {}).filter((c) => c.includes(' -d @'))];
          return { changes: exec(cmds), msg: `create ${p}`, result: result('file') };
        }
        // An existing path: its times (now, unless preserved) and the attributes that differ.
        const differ = attrsDiffer(infoOf(prev === 'directory' ? 'directory' : 'file', pr.mode, pr.owner, pr.group), mode, a.owner, a.group);
        return done(exec([...(differ ? attrCommands(p, mode, a.owner, a.group) : []), ...timeCommands(p, times, pr)]), `update the times of ${p}`, prev);
      }
      case 'link': {
        const src = a.src ?? pr.target!;
        if (prev === 'link' && pr.target === src && !a.follow) {
          // The link itself: Linux has no mode for links (lchmod); owner and group with chown -h.
          const differ = (a.owner !== undefined && a.owner !== pr.owner) || (a.group !== undefined && a.group !== pr.group);
          return done(differ ? exec([`chown -h ${shellQuote(`${a.owner ?? ''}${a.group ? ':' + a.group : ''}`)} -- ${shellQuote(p)}`]) : [], `set the owner of the link ${p}`, 'link', { src });
        }
        if (prev === 'link' && pr.target === src) {
          // follow: mode, owner and group apply to what the link points at (chmod and chown follow it).
          const r = pr.resolved;
          const differ = a.follow && r && r.kind !== 'absent' && attrsDiffer(infoOf(r.kind === 'directory' ? 'directory' : 'file', r.mode, r.owner, r.group), mode, a.owner, a.group);
          return done(differ ? exec(attrCommands(p, mode, a.owner, a.group)) : [], `set the attributes of the target of ${p}`, 'link', { src });
        }
        if (!pr.srcExists && !a.force) {
          return { changes: [], failed: true, msg: `src file does not exist, use "force=yes" if you really want to create the link: ${src.startsWith('/') ? src : path.posix.join(path.posix.dirname(p), src)}`, result: { path: p, src, state: prev } };
        }
        if ((prev === 'directory' || prev === 'file' || prev === 'other') && !a.force) {
          return { changes: [], failed: true, msg: `refusing to convert from ${prev === 'directory' ? 'directory' : 'file'} to symlink for ${p}`, result: { path: p, src, state: prev } };
        }
        // With force, an empty directory gives way to the link (Ansible's); one with files in it does not.
        if (prev === 'directory' && !pr.emptyDir) return { changes: [], failed: true, msg: `the directory ${p} is not empty, refusing to convert it`, result: { path: p, src, state: prev } };
        const cmds = prev === 'absent' ? [`ln -s -- ${shellQuote(src)} ${shellQuote(p)}`] : prev === 'directory' ? [`rmdir -- ${shellQuote(p)}`, `ln -s -- ${shellQuote(src)} ${shellQuote(p)}`] : [`ln -sfn -- ${shellQuote(src)} ${shellQuote(p)}`];
        if (a.owner || a.group) cmds.push(`chown -h ${shellQuote(`${a.owner ?? ''}${a.group ? ':' + a.group : ''}`)} -- ${shellQuote(p)}`);
        return { changes: exec(cmds), msg: `link ${p} -> ${src}`, result: result('link', { src }) };
      }
      case 'hard': {
        const src = a.src!;
        if (pr.sameFile) return done([], '', 'hard', { src });
        if (!pr.srcExists) return { changes: [], failed: true, msg: `src does not exist: ${src}`, result: { path: p, src, state: prev } };
        if (prev === 'directory') return { changes: [], failed: true, msg: `refusing to convert from directory to hard link for ${p}`, result: { path: p, src, state: prev } };
        if (prev !== 'absent' && !a.force) return { changes: [], failed: true, msg: `refusing to convert from ${prev} to hard link for ${p}`, result: { path: p, src, state: prev } };
        return { changes: exec([`ln -f -- ${shellQuote(src)} ${shellQuote(p)}`, ...attrCommands(p, mode, a.owner, a.group)]), msg: `hard link ${p} -> ${src}`, result: result('hard', { src }) };
      }
      default:
        return { changes: [], failed: true, msg: `unsupported state ${String(state)}` };
    }
  }
}
