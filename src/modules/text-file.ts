/**
 * The shared tail of the text-editing modules (lineinfile, blockinfile, copy,
 * template): given the old and new content, decide the changes, the message
 * and the diff, as Ansible's write_changes + check_file_attrs do.
 *
 * Files are bytes. The modules work on "byte strings": one JavaScript
 * character per byte (latin1), so that bytes that are not UTF-8 pass through
 * an edit unchanged, and arguments are matched as their UTF-8 bytes, as
 * Ansible's lineinfile matches `to_bytes(regexp)` against the file's bytes.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { FileInfo } from '../connection/types.ts';
import { attrsDiffer, normalizeMode, unsupportedAttrs } from './file-attrs.ts';
import type { Change, FileDiff, Plan, WriteBase } from './types.ts';

export interface FileArgs {
  path: string;
  mode?: unknown;
  owner?: string;
  group?: string;
  backup?: boolean;
  validate?: string;
}

/** Splits text into lines that keep their terminators (Python's readlines). */
export function readLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** A file's bytes as a byte string (one character per byte). */
export function textOf(info: FileInfo): string | undefined {
  return info.state === 'file' ? info.content.toString('latin1') : undefined;
}

/** An argument (a JavaScript string) as the byte string of its UTF-8 encoding. */
export function bytesOf(s: string): string;
export function bytesOf(s: string | undefined): string | undefined;
export function bytesOf(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('latin1');
}

/** The named string arguments of `a` as byte strings. */
export function withBytes<A extends object>(a: A, keys: (keyof A)[]): A {
  const out = { ...a };
  for (const k of keys) if (typeof out[k] === 'string') (out as Record<keyof A, unknown>)[k] = bytesOf(out[k] as string);
  return out;
}

/** Ansible's default `max_file_size_for_diff`: larger files get a summary instead of a diff. */
export const MAX_DIFF_BYTES = 104_448;

/** The --diff entry for a content change: text, or a note for large or binary content. */
export function contentDiff(path: string, before: Buffer | undefined, after: Buffer): FileDiff {
  const size = (b: Buffer | undefined) => (b === undefined ? 'absent' : `${b.length} bytes`);
  if ((before?.length ?? 0) > MAX_DIFF_BYTES || after.length > MAX_DIFF_BYTES) {
    return { path, before: '', after: '', note: `diff skipped: the file is larger than ${MAX_DIFF_BYTES} bytes (before: ${size(before)}, after: ${size(after)})` };
  }
  if (before?.includes(0) || after.includes(0)) {
    const sha = (b: Buffer | undefined) => (b === undefined ? '' : ` sha256:${createHash('sha256').update(b).digest('hex').slice(0, 16)}`);
    return { path, before: '', after: '', note: `binary content changed (before: ${size(before)}${sha(before)}, after: ${size(after)}${sha(after)})` };
  }
  // Text that is not UTF-8 (latin1, say) is shown as latin1: the diff is for reading, the file keeps its bytes.
  const show = (b: Buffer) => b.toString(isUtf8(b) ? 'utf8' : 'latin1');
  return { path, before: before === undefined ? '' : show(before), after: show(after) };
}

/**
 * Plans replacing `info`'s content by `after`. `msg` is the module's message
 * for a content change; an attribute change adds Ansible's wording.
 */
export function planTextFile(
  args: FileArgs,
  info: FileInfo,
  after: string,
  msg: string,
  opts: { makeParents?: boolean; extra?: Record<string, unknown>; follow?: boolean } = {},
): Plan {
  if (args.validate !== undefined && !args.validate.includes('%s')) return { changes: [], failed: true, msg: `validate must contain %s: ${args.validate}` };
  const attrs = unsupportedAttrs(args as unknown as Record<string, unknown>);
  if (attrs) return { changes: [], failed: true, msg: attrs };
  const before = textOf(info);
  const mode = normalizeMode(args.mode);
  const contentChanged = before !== after;
  const changes: Change[] = [];
  const content = Buffer.from(after, 'latin1');
  if (contentChanged) {
    changes.push({
      kind: 'write',
      path: args.path,
      content,
      base: baseOf(info),
      follow: opts.follow,
      mode,
      owner: args.owner,
      group: args.group,
      backup: Boolean(args.backup) && info.state === 'file',
      validate: args.validate,
      makeParents: opts.makeParents,
    });
  }
  let message = contentChanged ? msg : '';
  if (!contentChanged && info.state === 'file' && attrsDiffer(info, mode, args.owner, args.group)) {
    changes.push({ kind: 'attributes', path: args.path, mode, owner: args.owner, group: args.group });
    message = message ? `${message} and ownership, perms or SE linux context changed` : 'ownership, perms or SE linux context changed';
  }
  return {
    changes,
    msg: message,
    result: opts.extra,
    diff: contentChanged ? [contentDiff(args.path, info.state === 'file' ? info.content : undefined, content)] : [],
  };
}

/** What a plan was made from: the write goes ahead only while the file is still this. */
export function baseOf(info: FileInfo): WriteBase | undefined {
  if (info.state === 'absent') return { state: 'absent' };
  if (info.state === 'file') return { state: 'file', sha256: createHash('sha256').update(info.content).digest('hex') };
  return undefined;
}

/** A file to edit that does not exist: a failure, unless an earlier task of a check run creates it. */
export function missingFile(path: string, msg: string, rc: number): Plan {
  return { changes: [], failed: true, msg, result: { rc }, pending: { missing: `${path} does not exist`, action: `edit ${path}` } };
}
