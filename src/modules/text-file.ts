/**
 * The shared tail of the text-editing modules (lineinfile, blockinfile, copy,
 * template): given the old and new content, decide the changes, the message
 * and the diff, as Ansible's write_changes + check_file_attrs do.
 */
import type { FileInfo } from '../connection/types.ts';
import { attrsDiffer, normalizeMode } from './file-attrs.ts';
import type { Change, Plan } from './types.ts';

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

export function textOf(info: FileInfo): string | undefined {
  return info.state === 'file' ? info.content.toString('utf8') : undefined;
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
  opts: { makeParents?: boolean; extra?: Record<string, unknown> } = {},
): Plan {
  const before = textOf(info);
  const mode = normalizeMode(args.mode);
  const contentChanged = before !== after;
  const changes: Change[] = [];
  if (contentChanged) {
    changes.push({
      kind: 'write',
      path: args.path,
      content: Buffer.from(after, 'utf8'),
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
    diff: contentChanged ? [{ path: args.path, before: before ?? '', after }] : [],
  };
}

/**
 * In check mode a file that does not exist yet may come from an earlier task
 * whose commands were not run (a package's postinst, say). Then the edit is
 * reported as "would change" with the reason, instead of failing.
 */
export function pendingCreation(check: boolean, unsureSince: string | undefined, path: string): Plan | undefined {
  if (!check || !unsureSince) return undefined;
  return {
    changes: [{ kind: 'exec', command: ':' }],
    msg: `would edit ${path}, which does not exist yet: the earlier task '${unsureSince}' creates it (its effect is not known in check mode)`,
  };
}
