/**
 * stat: facts about a path on the host, with Ansible's keys (exists, mode,
 * isreg, isdir, islnk, uid, pw_name, size, mtime, checksum, mimetype, ...),
 * from one read-only probe.
 *
 * ```yaml
 * - stat: { path: /etc/jitsi/videobridge/config }
 *   register: jvb_cfg
 * - debug: { msg: "installed" }
 *   when: jvb_cfg.stat.exists
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import type { ModuleDef } from './types.ts';

interface StatArgs {
  path: string;
  follow: boolean;
  get_checksum: boolean;
  checksum_algorithm: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5';
  get_mime: boolean;
  get_attributes: boolean;
}

function probe(a: StatArgs): string {
  const p = shellQuote(a.path);
  const sum = `${a.checksum_algorithm === 'md5' ? 'md5' : a.checksum_algorithm}sum`;
  return [
    `p=${p}`,
    `if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo ABSENT; exit 0; fi`,
    `echo "STAT=$(stat ${a.follow ? '-L ' : ''}-c '%d|%i|%h|%u|%g|%s|%X|%Y|%Z|%f|%U|%G|%b|%B|%t|%T' -- "$p")"`,
    `if [ -L "$p" ]; then echo "LNK=$(readlink -- "$p")"; echo "LNKSRC=$(readlink -f -- "$p")"; fi`,
    `[ -r "$p" ] && echo R=1; [ -w "$p" ] && echo W=1; [ -x "$p" ] && echo X=1`,
    a.get_checksum ? `if [ -f "$p" ] && [ -r "$p" ] && { ${a.follow ? 'true' : '[ ! -L "$p" ]'}; }; then echo "SUM=$(${sum} < "$p" | cut -d' ' -f1)"; fi` : 'true',
    a.get_mime ? `if command -v file >/dev/null 2>&1; then echo "MIME=$(file ${a.follow ? '-L ' : ''}-b --mime-type -- "$p")"; echo "CHARSET=$(file ${a.follow ? '-L ' : ''}-b --mime-encoding -- "$p")"; fi` : 'true',
    a.get_attributes ? `if command -v lsattr >/dev/null 2>&1 && [ ! -L "$p" ]; then echo "ATTR=$(lsattr -d -- "$p" 2>/dev/null | cut -d' ' -f1)"; fi` : 'true',
    'exit 0',
  ].join('\n');
}

export const stat: ModuleDef<StatArgs> = {
  name: 'stat',
  hostPaths: ['path'],
  argAliases: { dest: 'path', name: 'path' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string' },
      get_checksum: { type: 'boolean', default: true },
      checksum_algorithm: { enum: ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'md5'], default: 'sha1' },
      follow: { type: 'boolean', default: false },
      get_mime: { type: 'boolean', default: true },
      get_attributes: { type: 'boolean', default: true },
      get_md5: { type: 'boolean' },
    },
  },
  async plan(a, ctx) {
    const out = await ctx.probe(probe(a));
    if (out.stdout.includes('ABSENT')) return { changes: [], msg: `${a.path} does not exist`, result: { stat: { exists: false } } };
    const kv: Record<string, string> = {};
    for (const line of out.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1);
    }
    if (!kv.STAT) return { changes: [], failed: true, msg: `cannot stat ${a.path}: ${(out.stderr || out.stdout).trim()}` };
    const [dev, inode, nlink, uid, gid, size, atime, mtime, ctime, rawMode, owner, group, blocks, blockSize, major, minor] = kv.STAT.split('|');
    const m = Number.parseInt(rawMode, 16);
    const type = m & 0o170000;
    const perm = m & 0o7777;
    const st: Record<string, unknown> = {
      exists: true,
      path: a.path,
      mode: perm.toString(8).padStart(4, '0'),
      isdir: type === 0o040000,
      ischr: type === 0o020000,
      isblk: type === 0o060000,
      isreg: type === 0o100000,
      isfifo: type === 0o010000,
      islnk: type === 0o120000,
      issock: type === 0o140000,
      uid: Number(uid),
      gid: Number(gid),
      size: Number(size),
      inode: Number(inode),
      dev: Number(dev),
      nlink: Number(nlink),
      atime: Number(atime),
      mtime: Number(mtime),
      ctime: Number(ctime),
      wusr: Boolean(perm & 0o200), rusr: Boolean(perm & 0o400), xusr: Boolean(perm & 0o100),
      wgrp: Boolean(perm & 0o020), rgrp: Boolean(perm & 0o040), xgrp: Boolean(perm & 0o010),
      woth: Boolean(perm & 0o002), roth: Boolean(perm & 0o004), xoth: Boolean(perm & 0o001),
      isuid: Boolean(perm & 0o4000),
      isgid: Boolean(perm & 0o2000),
      blocks: Number(blocks),
      block_size: Number(blockSize),
      device_type: type === 0o020000 || type === 0o060000 ? Number.parseInt(major, 16) * 256 + Number.parseInt(minor, 16) : 0,
      readable: kv.R === '1',
      writeable: kv.W === '1',
      executable: kv.X === '1',
      pw_name: owner,
      gr_name: group,
    };
    if (kv.LNK !== undefined) {
      st.lnk_target = kv.LNK;
      st.lnk_source = kv.LNKSRC;
    }
    if (kv.SUM) st.checksum = kv.SUM;
    if (kv.MIME !== undefined) {
      st.mimetype = kv.MIME;
      st.charset = kv.CHARSET;
    }
    if (kv.ATTR !== undefined) st.attributes = [];
    return { changes: [], msg: `${a.path} exists`, result: { stat: st } };
  },
};
