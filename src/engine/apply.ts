/**
 * The one applier: carries out a plan's changes on a host. Modules never
 * write; check mode never calls this, so a dry run cannot touch a host.
 */
import { shellQuote } from '../util/shell-quote.ts';
import type { Become, Connection, ExecResult, FileInfo, WriteOptions } from '../connection/types.ts';
import type { Change } from '../modules/types.ts';
import type { FileView } from './file-view.ts';
import type { WriteBehind } from './write-behind.ts';

export interface Applied {
  outcomes: ExecResult[];
  backupFile?: string;
}

export async function applyChanges(conn: Connection, files: FileView, changes: Change[], become?: Become): Promise<Applied> {
  const outcomes: ExecResult[] = [];
  let backupFile: string | undefined;
  for (const c of changes) {
    if (c.kind === 'write') {
      const before = await files.get(c.path, become);
      const res = await conn.writeFile(c.path, c.content, writeOptions(c, become));
      backupFile = res.backupFile ?? backupFile;
      if (c.mode && !/^[0-7]{4}$/.test(c.mode)) files.forget(c.path);
      else files.record(c.path, afterWrite(before, c), become);
    } else if (c.kind === 'attributes') {
      const cmds = [];
      if (c.mode) cmds.push(`chmod ${shellQuote(c.mode)} -- ${shellQuote(c.path)}`);
      if (c.owner || c.group) cmds.push(`chown ${shellQuote(`${c.owner ?? ''}${c.group ? ':' + c.group : ''}`)} -- ${shellQuote(c.path)}`);
      const res = await conn.exec(cmds.join(' && '), { become });
      if (res.code !== 0) throw new Error(`changing attributes of ${c.path} failed: ${res.stderr.trim()}`);
      files.forget(c.path);
    } else {
      outcomes.push(await conn.exec(c.command, { stdin: c.stdin, cwd: c.cwd, become }));
      // A command may change any file: forget what we read.
      files.forget();
    }
  }
  return { outcomes, backupFile };
}

type Write = Extract<Change, { kind: 'write' }>;

function writeOptions(c: Write, become?: Become): WriteOptions {
  return { mode: c.mode, owner: c.owner, group: c.group, backup: c.backup, validate: c.validate, makeParents: c.makeParents, base: c.base, follow: c.follow, become };
}

/**
 * Write-behind: puts a plan's writes in the host's queue instead of sending
 * them, and records what they will leave so later tasks plan against it.
 */
export async function queueWrites(queue: WriteBehind, files: FileView, changes: Change[], become: Become | undefined, owner: { taskId: number; item: number }): Promise<void> {
  for (const c of changes) {
    if (c.kind !== 'write') throw new Error(`only writes are queued, not ${c.kind}`);
    const before = await files.get(c.path, become);
    queue.add({ path: c.path, content: c.content, opts: writeOptions(c, become), group: owner.taskId, ...owner });
    // A symbolic mode is resolved on the host: read the file again when a later task needs it.
    if (c.mode && !/^[0-7]{4}$/.test(c.mode)) files.forget(c.path);
    else files.record(c.path, afterWrite(before, c), become);
  }
}

/** What a file is after a write (also what check mode pretends it is). */
export function afterWrite(before: FileInfo, c: Write): FileInfo {
  const old = before.state === 'file' ? before : undefined;
  // A new file is its writer's (the user who read the path, with the same become).
  const writer = before.state === 'absent' ? before.reader : undefined;
  const owner = c.owner ?? old?.owner ?? writer?.user ?? 'root';
  const group = c.group ?? old?.group ?? writer?.group ?? 'root';
  const uid = owner === old?.owner ? old.uid : owner === writer?.user ? writer.uid : undefined;
  const gid = group === old?.group ? old.gid : group === writer?.group ? writer.gid : undefined;
  return {
    state: 'file',
    content: c.content,
    mode: c.mode && /^[0-7]{4}$/.test(c.mode) ? c.mode : old?.mode ?? '0644',
    owner,
    group,
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  };
}

/** In check mode: record what the writes would leave, so later tasks plan against it. */
export async function stageChanges(files: FileView, changes: Change[], become?: Become): Promise<void> {
  for (const c of changes) {
    if (c.kind === 'write') files.record(c.path, afterWrite(await files.get(c.path, become), c), become);
  }
}
