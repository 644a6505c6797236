/**
 * copy: put a file with given content (from `content` or a controller `src`) on the host.
 *
 * ```yaml
 * - copy:
 *     dest: /etc/jitsi/videobridge/sip-communicator.properties
 *     content: "org.jitsi.videobridge.ENABLE_STATISTICS=true\n"
 *     mode: "0644"
 * ```
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { findSource } from './source-file.ts';
import { planFile } from './file.ts';
import { planTextFile, type FileArgs } from './text-file.ts';
import type { ModuleContext, ModuleDef, Plan } from './types.ts';
import type { FileInfo } from '../connection/types.ts';
import { attrsDiffer, FILE_COMMON_PROPS, normalizeMode, symbolicMode } from './file-attrs.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { pyJsonDumps } from '../util/py-json.ts';

export interface CopyArgs extends FileArgs {
  dest: string;
  content?: unknown;
  src?: string;
  force: boolean;
  remote_src?: boolean;
  follow?: boolean;
  local_follow?: boolean;
  directory_mode?: string | number;
  checksum?: string;
  decrypt?: boolean;
}

/** Plans writing `content` (bytes) to `dest` (shared by copy and template). */
export async function planContent(a: CopyArgs, bytes: Buffer, ctx: ModuleContext, what: string): Promise<Plan> {
  const content = bytes.toString('latin1');
  let dest = a.dest;
  let info = await ctx.files.get(dest, ctx.become);
  if (info.state === 'directory' || dest.endsWith('/')) {
    if (!a.src) return { changes: [], failed: true, msg: `can not use content with a dir as dest (${dest})` };
    dest = path.posix.join(dest, path.posix.basename(a.src));
    info = await ctx.files.get(dest, ctx.become);
  }
  if (info.state === 'unreadable') return { changes: [], failed: true, msg: `cannot read ${dest}: ${info.reason}` };
  if (info.state === 'file' && !a.force) {
    const mode = normalizeMode(a.mode);
    if (!attrsDiffer(info, mode, a.owner, a.group)) return { changes: [], msg: `${dest} exists and force is off` };
    return { changes: [{ kind: 'attributes', path: dest, mode, owner: a.owner, group: a.group }], msg: 'ownership, perms or SE linux context changed' };
  }
  // Ansible's keys: the new file's checksum (sha1), md5sum, size, state and mode.
  const mode = normalizeMode(a.mode) ?? (info.state === 'file' ? info.mode : undefined);
  const plan = planTextFile({ ...a, path: dest }, info, content, info.state === 'absent' ? `${what} created` : `${what} updated`, {
    // A dest ending in '/' is a folder to make if missing, parents too (Ansible's copy).
    makeParents: a.dest.endsWith('/') && Boolean(a.src),
    extra: {
      dest,
      checksum: createHash('sha1').update(bytes).digest('hex'),
      md5sum: createHash('md5').update(bytes).digest('hex'),
      size: bytes.length,
      state: 'file',
      ...(mode ? { mode } : {}),
      ...ownership(info, a.owner, a.group),
      ...(a.src ? { src: a.src } : {}),
    },
    ...(a.follow ? { follow: true } : {}),
  });
  if (plan.changes.length === 0 && !plan.failed) plan.msg = `${dest} already has this content`;
  return plan;
}

/**
 * The owner and group a copied file ends with, by name and id, as Ansible's result has them:
 * those asked, else the old file's, else its writer's (a new file); an id only where it is known
 * (a name asked that is neither the old owner nor the writer has none here).
 */
function ownership(info: FileInfo, owner: string | undefined, group: string | undefined): Record<string, unknown> {
  const old = info.state === 'file' ? info : undefined;
  const writer = info.state === 'absent' ? info.reader : undefined;
  const o = owner ?? old?.owner ?? writer?.user;
  const g = group ?? old?.group ?? writer?.group;
  const uid = o === undefined ? undefined : o === old?.owner ? old.uid : o === writer?.user ? writer.uid : /^\d+$/.test(o) ? Number(o) : undefined;
  const gid = g === undefined ? undefined : g === old?.group ? old.gid : g === writer?.group ? writer.gid : /^\d+$/.test(g) ? Number(g) : undefined;
  return { ...(o !== undefined ? { owner: o } : {}), ...(g !== undefined ? { group: g } : {}), ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) };
}

/**
 * An Ansible Vault file: copy decrypts it by default (`decrypt`), with a vault password
 * jitsi-fleet does not take, so it fails as Ansible's does without one (copying the
 * ciphertext to the host in its place would be silently wrong).
 */
const isVault = (bytes: Buffer) => bytes.subarray(0, 15).toString('latin1') === '$ANSIBLE_VAULT;';
const vaultMessage = (file: string) => `A vault password or secret must be specified to decrypt ${file}`;

interface SourceTree {
  files: { rel: string; full: string; mode: string }[];
  dirs: string[];
  links: { rel: string; target: string }[];
}

/**
 * A controller folder's files, folders and symlinks as Ansible's copy walks
 * it (_walk_dirs): with local_follow, a link to a file is copied as the file
 * and a link to a folder is walked, unless it points back into what is being
 * copied or into one of its own parents (a circle): then, like a broken link
 * or any link without local_follow, it is made as a link on the host.
 */
async function walkSource(top: string, follow: boolean): Promise<SourceTree> {
  const tree: SourceTree = { files: [], dirs: [''], links: [] };
  const id = (s: Stats) => `${s.dev}:${s.ino}`;
  const modeOf = (s: Stats) => (s.mode & 0o7777).toString(8).padStart(4, '0');
  const recurse = async (dir: string, relBase: string, parents: Set<string>): Promise<void> => {
    const sub: [string, string][] = [];
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const rel = relBase ? `${relBase}/${name}` : name;
      const l = await lstat(full);
      const target = l.isSymbolicLink() ? await stat(full).catch(() => undefined) : l;
      if (!target?.isDirectory()) {
        if (!l.isSymbolicLink()) {
          if (l.isFile()) tree.files.push({ rel, full, mode: modeOf(l) });
        } else if (follow && target?.isFile()) tree.files.push({ rel, full: await realpath(full), mode: modeOf(target) });
        else tree.links.push({ rel, target: await readlink(full) });
        continue;
      }
      if (!l.isSymbolicLink()) {
        tree.dirs.push(rel);
        sub.push([full, rel]);
        continue;
      }
      if (!follow || parents.has(id(target))) {
        tree.links.push({ rel, target: await readlink(full) });
        continue;
      }
      // The folders above the link, up to one already being copied: a link to one of them is a circle.
      const above = new Set<string>();
      const parts = path.dirname(full).split(path.sep);
      for (let k = parts.length; k > 0; k--) {
        const s = await stat(parts.slice(0, k).join(path.sep) || path.sep);
        if (parents.has(id(s))) break;
        above.add(id(s));
      }
      if (above.has(id(target))) {
        tree.links.push({ rel, target: await readlink(full) });
        continue;
      }
      tree.dirs.push(rel);
      await recurse(await realpath(full), rel, new Set([...parents, ...above]));
    }
    for (const [full, rel] of sub) await recurse(full, rel, parents);
  };
  await recurse(top, '', new Set([id(await stat(top))]));
  return tree;
}

/**
 * A directory from the controller, as Ansible's copy does it: `src: dir/`
 * copies what is in it into dest, `src: dir` the directory itself (dest/dir);
 * every file planned as a single copy (same bytes check, mode, owner), folders
 * made where missing (with directory_mode if given), symlinks as walkSource
 * says (made as the file module's state=link with force would).
 */
async function planDirectory(a: CopyArgs, root: string, ctx: ModuleContext): Promise<Plan> {
  const into = a.src!.endsWith('/') ? a.dest : path.posix.join(a.dest, path.basename(root));
  const { files, dirs, links } = await walkSource(root, a.local_follow !== false);
  const changes: Plan['changes'] = [];
  const diff: NonNullable<Plan['diff']> = [];
  const made: string[] = [];
  // dest itself too, when the folder goes inside it (made with directory_mode as well, as Ansible's).
  const wanted = [...(into !== a.dest ? [a.dest.replace(/\/+$/, '') || '/'] : []), ...dirs.map((d) => (d ? path.posix.join(into, d) : into))];
  // Every folder and file of the copy read in one round trip, not one per path.
  await ctx.files.prefetch?.([...wanted, ...files.map((f) => path.posix.join(into, f.rel))], ctx.become);
  for (const dest of wanted) {
    const info = await ctx.files.get(dest, ctx.become);
    if (info.state === 'absent') made.push(dest);
    else if (info.state !== 'directory') return { changes: [], failed: true, msg: `${dest} exists and is not a directory` };
  }
  if (made.length) {
    const dm = a.directory_mode === undefined ? undefined : normalizeMode(a.directory_mode);
    const list = made.map(shellQuote).join(' ');
    changes.push({ kind: 'exec', command: `mkdir -p -- ${list}${dm ? ` && chmod ${shellQuote(dm)} -- ${list}` : ''}` });
  }
  for (const f of files) {
    const mode = a.mode === 'preserve' ? f.mode : a.mode;
    const bytes = await readFile(f.full);
    if (a.decrypt !== false && isVault(bytes)) return { changes: [], failed: true, msg: vaultMessage(f.full) };
    const plan = await planContent({ ...a, src: f.rel, mode, dest: path.posix.join(into, f.rel) }, bytes, ctx, 'file');
    if (plan.failed) return plan;
    changes.push(...plan.changes);
    diff.push(...(plan.diff ?? []));
  }
  let linked = 0;
  for (const l of links) {
    const plan = await planFile({ path: path.posix.join(into, l.rel), src: l.target, state: 'link', force: true, follow: false, recurse: false, owner: a.owner, group: a.group }, ctx);
    if (plan.failed) return plan;
    if (plan.changes.length) linked++;
    changes.push(...plan.changes);
  }
  const written = changes.filter((c) => c.kind !== 'exec').length;
  return {
    changes,
    diff,
    msg: changes.length ? `${written} of ${files.length} files copied to ${into}${made.length ? `, ${made.length} folders made` : ''}${linked ? `, ${linked} links made` : ''}` : `${into} already has these ${files.length} files${links.length ? ` and ${links.length} links` : ''}`,
    result: { dest: into, src: a.src },
    finish(outcomes) {
      const bad = outcomes.find((o) => o.code !== 0);
      return bad ? { failed: true, msg: `making the folders under ${into} failed: ${bad.stderr.trim()}` } : { changed: true };
    },
  };
}

/** Python's os.path.join of two parts (a trailing '/' kept, an empty part giving one). */
const pyJoin = (a: string, b: string) => (a.endsWith('/') ? a + b : `${a}/${b}`);

interface Entry {
  type: 'D' | 'F' | 'L';
  mode: string;
  owner: string;
  group: string;
  target?: string;
  sha?: string;
}

/** One side of a folder copy on the host: relative path -> what is there (from listTree's lines). */
function parseTree(lines: string[]): Map<string, Entry> {
  const tree = new Map<string, Entry>();
  for (const line of lines) {
    const [type, ...rest] = line.split('|');
    if (type === 'H') {
      const m = /^([0-9a-f]{40}) [ *]\.\/(.*)$/.exec(rest.join('|'));
      const e = m && tree.get(m[2]);
      if (e) e.sha = m[1];
    } else if (type === 'D' || type === 'F' || type === 'L') {
      const [mode, owner, group, rel, ...target] = rest;
      tree.set(rel, { type, mode, owner, group, ...(type === 'L' ? { target: target.join('|') } : {}) });
    }
  }
  return tree;
}

/** A shell function listing a folder's tree (follow: links read through, as copytree without symlinks). */
const LIST_TREE = `list_tree() { ( cd "$1" 2>/dev/null || exit 0
  find $2 . -mindepth 1 \\( -type d -printf 'D|%m|%u|%g|%P\\n' \\) -o \\( -type l -printf 'L|%m|%u|%g|%P|%l\\n' \\) -o \\( -type f -printf 'F|%m|%u|%g|%P\\n' \\) 2>/dev/null
  find $2 . -mindepth 1 -type f -print0 2>/dev/null | xargs -0 -r sha1sum | sed 's/^/H|/' ); }`;

/**
 * A folder copied on the host itself (remote_src), as Ansible's copy module
 * does it: `src/` puts what is in src into dest, `src` puts the folder inside
 * dest (dest/src, made if missing); what dest already has is kept, files of
 * the same name with other bytes are replaced (each through a temporary file
 * and a rename), links copied as links unless local_follow reads through
 * them; owner and group applied to the whole copy (chown_recursive).
 */
async function planRemoteDirectory(a: CopyArgs, ctx: ModuleContext): Promise<Plan> {
  const src = a.src!;
  const srcDir = src.replace(/\/+$/, '') || '/';
  const destInfo = await ctx.files.get(a.dest.replace(/\/+$/, '') || '/', ctx.become);
  if (destInfo.state === 'file') return { changes: [], failed: true, msg: `cannot copy the directory ${src} onto the file ${a.dest}` };
  // The folder that receives src's entries (Ansible's four cases).
  const into = src.endsWith('/') ? a.dest.replace(/\/+$/, '') || '/' : path.posix.join(a.dest, path.posix.basename(srcDir));
  // local_follow unset is neither true nor false in Ansible's module: copytree keeps links, the merge skips them.
  const follow = a.local_follow === true;
  const q = shellQuote(into);
  const out = await ctx.probe(`${LIST_TREE}\necho "#SRC $(stat -L -c %a -- ${shellQuote(srcDir)})"; list_tree ${shellQuote(srcDir)} ${follow ? '-L' : '-P'}\necho "#DEST $([ -d ${q} ] && stat -c %a -- ${q})"; list_tree ${q} -P`);
  const [srcPart, destPart = ''] = out.stdout.split('#DEST');
  const from = parseTree(srcPart.split('\n'));
  const have = parseTree(destPart.split('\n'));
  const destMode = destPart.split('\n')[0].trim();
  const exists = destMode !== '';
  // mode: for the receiving folder (preserve: src's), as Ansible's set_fs_attributes_if_different on dest.
  const asked = a.mode === 'preserve' ? /#SRC (\d+)/.exec(srcPart)?.[1] : normalizeMode(a.mode);
  const cur = Number.parseInt(exists ? destMode : (0o777 & ~0o022).toString(8), 8);
  let mode: string | undefined;
  try {
    const want = asked === undefined ? cur : /^[0-7]+$/.test(asked) ? Number.parseInt(asked, 8) : symbolicMode(cur, asked, true);
    mode = want === cur && exists ? undefined : want.toString(8).padStart(4, '0');
  } catch (e) {
    return { changes: [], failed: true, msg: `mode must be in octal or symbolic form: ${(e as Error).message}` };
  }
  if (asked === undefined) mode = undefined;
  const cmds: string[] = exists ? [] : [`mkdir -p -- ${shellQuote(into)}`];
  // A whole new folder is Ansible's shutil.copytree; a folder made first and then filled (src without '/' to a missing dest) is its merge.
  const copytree = !exists && (src.endsWith('/') || destInfo.state === 'directory');
  let files = 0;
  let dirs = 0;
  let links = 0;
  const skipped: string[] = [];
  for (const [rel, e] of from) {
    const to = path.posix.join(into, rel);
    const there = have.get(rel);
    // A name dest already has is common (filecmp.dircmp's view): a folder is walked, a file compared, anything else left alone.
    if (e.type === 'D') {
      if (there) continue;
      cmds.push(`mkdir -p -- ${shellQuote(to)} && chmod ${e.mode} -- ${shellQuote(to)}`);
      dirs++;
    } else if (e.type === 'F') {
      if (there && (there.type !== 'F' || there.sha === e.sha)) continue;
      const tmp = `${to}.jitsi-fleet-tmp`;
      cmds.push(`cp --preserve=mode -- ${shellQuote(path.posix.join(srcDir, rel))} ${shellQuote(tmp)} && mv -f -- ${shellQuote(tmp)} ${shellQuote(to)}`);
      files++;
    } else if (!follow) {
      if (there) continue;
      // Unset local_follow: a link is made only where a whole folder is copied (copytree keeps links).
      const parent = path.posix.dirname(rel);
      if (a.local_follow === undefined && !copytree && (parent === '.' || have.get(parent)?.type === 'D')) {
        // Not made, yet Ansible's module counts it (left_only) and reports a change: so do we, saying why.
        skipped.push(rel);
        continue;
      }
      cmds.push(`ln -sfn -- ${shellQuote(e.target!)} ${shellQuote(to)}`);
      links++;
    }
  }
  // owner and group over the whole copy (links themselves, as lchown), when anything there differs.
  if (a.owner !== undefined || a.group !== undefined) {
    const copied = files + dirs + links > 0 || !exists;
    const differs = [...have.values()].some((e) => (a.owner !== undefined && e.owner !== a.owner) || (a.group !== undefined && e.group !== a.group));
    if (copied || differs) cmds.push(`chown -hR ${shellQuote(`${a.owner ?? ''}${a.group !== undefined ? ':' + a.group : ''}`)} -- ${shellQuote(into)}`);
  }
  if (mode) cmds.push(`chmod ${mode} -- ${q}`);
  const changed = cmds.length > 0 || skipped.length > 0;
  const note = skipped.length ? `; links not copied (set local_follow to copy them): ${skipped.join(', ')}` : '';
  return {
    changes: changed ? [{ kind: 'exec', command: cmds.length ? cmds.join(' && ') : 'true' }] : [],
    msg: changed ? `${files} files copied, ${dirs} folders and ${links} links made in ${into} from ${srcDir} on the host${note}` : `${into} already has what ${srcDir} holds`,
    // dest as Ansible's module reports it: joined with src's base name (empty for `src/`) when dest was a folder.
    result: { dest: destInfo.state === 'directory' ? pyJoin(a.dest, src.endsWith('/') ? '' : path.posix.basename(srcDir)) : a.dest, src, md5sum: null, checksum: null },
    finish(outcomes) {
      const bad = outcomes.find((o) => o.code !== 0);
      return bad ? { failed: true, msg: `copying ${srcDir} to ${into} on the host failed: ${(bad.stderr || bad.stdout).trim().split('\n').slice(-2).join(' ')}` } : { changed: true };
    },
  };
}

export const copy: ModuleDef<CopyArgs> = {
  name: 'copy',
  hostPaths: (a) => (a.remote_src ? ['dest', 'src'] : ['dest']),
  argAliases: { path: 'dest' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dest'],
    properties: {
      dest: { type: 'string' },
      // Text; a list or mapping is written as Python's json.dumps writes it (Ansible's).
      content: {},
      src: { type: 'string' },
      force: { type: 'boolean', default: true },
      remote_src: { type: 'boolean', default: false },
      follow: { type: 'boolean', default: false },
      // Unset is not true for remote_src folders (Ansible's module has no default).
      local_follow: { type: 'boolean' },
      directory_mode: { type: ['string', 'integer'] },
      checksum: { type: 'string' },
      decrypt: { type: 'boolean', default: true },
      ...FILE_COMMON_PROPS,
    },
    // Ansible's words (a registered failure is tested for them).
    missingMessage: 'dest is required',
    allOf: [
      { anyOf: [{ required: ['content'] }, { required: ['src'] }], errorMessage: 'src (or content) is required' },
      { not: { required: ['content', 'src'] }, errorMessage: 'src and content are mutually exclusive' },
    ],
  },
  reads: (a) => [a.dest],
  async plan(a, ctx) {
    let content: Buffer;
    let srcMode: string | undefined;
    if (a.content === undefined && a.src === '') return { changes: [], failed: true, msg: 'src (or content) is required' };
    if (a.content !== undefined) content = Buffer.from(typeof a.content === 'string' ? a.content : pyJsonDumps(a.content), 'utf8');
    else if (a.remote_src) {
      // remote_src: the source is a file on the managed host.
      const info = await ctx.files.get(a.src!, ctx.become);
      if (info.state === 'directory') return planRemoteDirectory(a, ctx);
      if (info.state !== 'file') return { changes: [], failed: true, msg: info.state === 'absent' ? `Source ${a.src} not found` : `Source ${a.src} not readable`, pending: { missing: `${a.src} does not exist`, action: `copy ${a.src}` } };
      content = info.content;
      srcMode = info.mode;
    } else {
      const found = await findSource(a.src!, ctx.searchDirs, 'files');
      if (!found) return { changes: [], failed: true, msg: `Could not find or access '${a.src}' (looked in ${ctx.searchDirs.map((d) => d + '/files').join(', ')})` };
      const st = await stat(found);
      if (st.isDirectory()) return planDirectory(a, found, ctx);
      content = await readFile(found);
      if (a.decrypt !== false && isVault(content)) return { changes: [], failed: true, msg: vaultMessage(found) };
      srcMode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    }
    if (a.checksum !== undefined && createHash('sha1').update(content).digest('hex') !== a.checksum) {
      return { changes: [], failed: true, msg: 'Copied file does not match the expected checksum. Transfer failed.' };
    }
    const args = a.mode === 'preserve' ? { ...a, mode: srcMode } : a;
    return planContent(args, content, ctx, 'file');
  },
};
