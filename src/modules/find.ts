/**
 * find: files on the host by name (globs, or regexes with use_regex), type,
 * age, size, content and depth, with Ansible's arguments and result keys
 * (files with their stat values, matched, examined, skipped_paths). One
 * read-only probe: find(1) lists, the rest is matched here.
 *
 * ```yaml
 * - find: { paths: /var/log/jitsi, patterns: "*.log.*", age: 4w }
 *   register: old_logs
 * ```
 */
import { fnmatch } from '../util/fnmatch.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { argList as list } from './arg-list.ts';
import type { ModuleDef } from './types.ts';

interface FindArgs {
  paths: string | string[];
  patterns: string | string[];
  excludes?: string | string[];
  contains?: string;
  file_type: 'file' | 'directory' | 'link' | 'any';
  recurse: boolean;
  depth?: number;
  hidden: boolean;
  follow: boolean;
  get_checksum: boolean;
  age?: string;
  age_stamp: 'mtime' | 'atime' | 'ctime';
  size?: string;
  use_regex: boolean;
}

/** "4w", "-1d", "30": seconds (Ansible's age units s, m, h, d, w); the sign says newer or older. */
function seconds(spec: string): number {
  const m = /^(-?\d+)([smhdw]?)$/i.exec(spec.trim());
  if (!m) throw new Error(`age '${spec}' is not a number with s, m, h, d or w`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2].toLowerCase() as 's']!;
}

/** "10m", "-1k", "512": bytes (b, k, m, g, t). */
function bytes(spec: string): number {
  const m = /^(-?\d+)([bkmgt]?)$/i.exec(spec.trim());
  if (!m) throw new Error(`size '${spec}' is not a number with b, k, m, g or t`);
  return Number(m[1]) * 1024 ** 'bkmgt'.indexOf(m[2].toLowerCase() || 'b');
}

const FIELDS = '%y|%m|%s|%T@|%A@|%C@|%U|%G|%u|%g|%i|%n|%D|%d|%p';

export const find: ModuleDef<FindArgs> = {
  name: 'find',
  hostPaths: ['paths'],
  argAliases: { name: 'paths', path: 'paths', pattern: 'patterns', exclude: 'excludes' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['paths'],
    properties: {
      paths: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      patterns: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], default: ['*'] },
      excludes: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      contains: { type: 'string' },
      read_whole_file: { type: 'boolean' },
      file_type: { enum: ['file', 'directory', 'link', 'any'], default: 'file' },
      recurse: { type: 'boolean', default: false },
      depth: { type: 'integer', minimum: 0 },
      hidden: { type: 'boolean', default: false },
      follow: { type: 'boolean', default: false },
      get_checksum: { type: 'boolean', default: false },
      checksum_algorithm: { enum: ['sha1'] },
      age: { type: ['string', 'integer'] },
      age_stamp: { enum: ['mtime', 'atime', 'ctime'], default: 'mtime' },
      size: { type: ['string', 'integer'] },
      use_regex: { type: 'boolean', default: false },
      encoding: { type: 'string' },
    },
  },
  async plan(a, ctx) {
    const paths = list(a.paths);
    const match = (name: string, pats: string[]) => pats.some((p) => (a.use_regex ? new RegExp(p).exec(name)?.index === 0 : fnmatch(p).test(name)));
    const patterns = list(a.patterns);
    const excludes = list(a.excludes);
    let age: number | undefined;
    let size: number | undefined;
    try {
      if (a.age !== undefined) age = seconds(String(a.age));
      if (a.size !== undefined) size = bytes(String(a.size));
      if (a.use_regex) [...patterns, ...excludes].forEach((p) => new RegExp(p));
    } catch (e) {
      return { changes: [], failed: true, msg: (e as Error).message };
    }
    // Ansible counts as examined what it lists one level below depth, and matches none of it (depth 0: no limit).
    const depth = a.recurse && a.depth ? a.depth : undefined;
    const maxDepth = !a.recurse ? 1 : depth !== undefined ? depth + 1 : undefined;
    const script = paths
      .map((p) => `if [ -d ${shellQuote(p)} ]; then echo "DIR|${p.replace(/[|\n]/g, '')}"; find ${a.follow ? '-L ' : ''}${shellQuote(p)} -mindepth 1 ${maxDepth !== undefined ? `-maxdepth ${maxDepth} ` : ''}-printf '${FIELDS}\\n' 2>/dev/null; else echo "MISSING|${p.replace(/[|\n]/g, '')}"; fi`)
      .join('\n');
    const out = await ctx.probe(`${script}\nexit 0`);
    const now = Date.now() / 1000;
    const files: Record<string, unknown>[] = [];
    const skipped: Record<string, string> = {};
    let examined = 0;
    for (const line of out.stdout.split('\n')) {
      if (line.startsWith('MISSING|')) {
        skipped[line.slice(8)] = `${line.slice(8)} was skipped as it does not seem to be a valid directory or it cannot be accessed`;
        continue;
      }
      const f = line.split('|');
      if (f.length < 15 || line.startsWith('DIR|')) continue;
      const [kind, mode, sz, mtime, atime, ctime, uid, gid, user, group, inode, nlink, dev, level] = f;
      const full = f.slice(14).join('|');
      const name = full.slice(full.lastIndexOf('/') + 1);
      examined++;
      if (depth !== undefined && Number(level) > depth) continue;
      if (!a.hidden && name.startsWith('.')) continue;
      const type = kind === 'd' ? 'directory' : kind === 'l' ? 'link' : kind === 'f' ? 'file' : 'other';
      if (a.file_type !== 'any' && a.file_type !== type) continue;
      if (!match(name, patterns) || (excludes.length && match(name, excludes))) continue;
      const stamp = Number({ mtime, atime, ctime }[a.age_stamp]);
      if (age !== undefined && (age >= 0 ? now - stamp < age : now - stamp > -age)) continue;
      if (size !== undefined && type === 'file' && (size >= 0 ? Number(sz) < size : Number(sz) > -size)) continue;
      files.push({
        path: full,
        mode: mode.padStart(4, '0'),
        isdir: type === 'directory',
        isreg: type === 'file',
        islnk: type === 'link',
        size: Number(sz),
        uid: Number(uid),
        gid: Number(gid),
        pw_name: user,
        gr_name: group,
        mtime: Number(mtime),
        atime: Number(atime),
        ctime: Number(ctime),
        inode: Number(inode),
        nlink: Number(nlink),
        dev: Number(dev),
      });
    }
    // contains: a regular expression searched in each regular file found (on the host; grep's Perl regexes).
    let found = files;
    if (a.contains !== undefined) {
      const regs = files.filter((f) => f.isreg);
      if (regs.length) {
        const hits = await ctx.probe(`grep -lsP -- ${shellQuote(a.contains)} ${regs.map((f) => shellQuote(String(f.path))).join(' ')}; exit 0`);
        const set = new Set(hits.stdout.split('\n').filter(Boolean));
        found = regs.filter((f) => set.has(String(f.path)));
      } else found = [];
    }
    if (a.get_checksum) {
      const regs = found.filter((f) => f.isreg);
      if (regs.length) {
        const sums = await ctx.probe(`sha1sum -- ${regs.map((f) => shellQuote(String(f.path))).join(' ')} 2>/dev/null; exit 0`);
        const by = new Map(sums.stdout.split('\n').filter(Boolean).map((l) => [l.slice(42), l.slice(0, 40)]));
        for (const f of regs) if (by.has(String(f.path))) f.checksum = by.get(String(f.path));
      }
    }
    found.sort((x, y) => String(x.path).localeCompare(String(y.path)));
    return { changes: [], msg: `${found.length} of ${examined} matched`, result: { files: found, matched: found.length, examined, skipped_paths: skipped } };
  },
};
