/**
 * replace: every match of a regular expression in a file replaced, as
 * Ansible's module (multiline mode; `after`/`before` limit the section, in
 * dotall mode; `\1` and `\g<name>` in the replacement).
 *
 * ```yaml
 * - replace:
 *     path: /etc/jitsi/videobridge/sip-communicator.properties
 *     regexp: '^(org\.jitsi\.videobridge\.ENABLE_STATISTICS)=.*$'
 *     replace: '\1=true'
 * ```
 */
import { pyRegex, pyReplacement } from '../template/filters.ts';
import { FILE_COMMON_PROPS } from './file-attrs.ts';
import { planTextFile, type FileArgs } from './text-file.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface ReplaceArgs extends FileArgs {
  regexp: string;
  replace: string;
  after?: string;
  before?: string;
  encoding: string;
}

/** The file's text as Python decodes it (UTF-8), or its bytes one per character when it is not UTF-8. */
function decode(content: Buffer): { text: string; utf8: boolean } {
  const text = content.toString('utf8');
  return Buffer.from(text, 'utf8').equals(content) ? { text, utf8: true } : { text: content.toString('latin1'), utf8: false };
}

/** The new text and the number of replacements, or undefined when after/before do not match. */
export function planReplace(a: Pick<ReplaceArgs, 'regexp' | 'replace' | 'after' | 'before'>, contents: string): { text: string; count: number } | { nomatch: string } {
  let pattern = '';
  if (a.after && a.before) pattern = `${a.after}(?P<subsection>.*?)${a.before}`;
  else if (a.after) pattern = `${a.after}(?P<subsection>.*)`;
  else if (a.before) pattern = `(?P<subsection>.*)${a.before}`;
  let section = contents;
  let start = 0;
  let end = contents.length;
  if (pattern) {
    const m = pyRegex(pattern, 'sd').exec(contents);
    if (!m || !m.indices?.groups?.subsection) return { nomatch: pattern };
    [start, end] = m.indices.groups.subsection;
    section = contents.slice(start, end);
  }
  let count = 0;
  const replaced = section.replace(pyRegex(a.regexp, 'gm'), (...args) => {
    count++;
    // One match at a time, so that \1 and \g<name> are Python's (a group that did not take part is empty).
    const groups = args.slice(1, -2).filter((x) => typeof x === 'string' || x === undefined);
    const named = typeof args[args.length - 1] === 'object' ? (args[args.length - 1] as Record<string, string | undefined>) : undefined;
    return expand(a.replace, args[0] as string, groups as (string | undefined)[], named);
  });
  return { text: contents.slice(0, start) + replaced + contents.slice(end), count };
}

function expand(repl: string, whole: string, groups: (string | undefined)[], named?: Record<string, string | undefined>): string {
  const js = pyReplacement(repl);
  return js.replace(/\$\$|\$<(\w+)>|\$(\d{1,2})|\$&/g, (m, name: string | undefined, num: string | undefined) => {
    if (m === '$$') return '$';
    if (m === '$&') return whole;
    if (name !== undefined) return named?.[name] ?? '';
    const n = Number(num);
    return n === 0 ? whole : groups[n - 1] ?? '';
  });
}

export const replace: ModuleDef<ReplaceArgs> = {
  name: 'replace',
  hostPaths: ['path'],
  argAliases: { dest: 'path', destfile: 'path', name: 'path' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'regexp'],
    properties: {
      path: { type: 'string' },
      regexp: { type: 'string' },
      replace: { type: 'string', default: '' },
      after: { type: 'string' },
      before: { type: 'string' },
      encoding: { type: 'string', default: 'utf-8' },
      ...FILE_COMMON_PROPS,
    },
  },
  reads: (a) => [a.path],
  async plan(a, ctx): Promise<Plan> {
    const info = await ctx.files.get(a.path, ctx.become);
    if (info.state === 'directory') return { changes: [], failed: true, msg: `Path ${a.path} is a directory !`, result: { rc: 256 } };
    if (info.state === 'unreadable') return { changes: [], failed: true, msg: `Unable to read the contents of ${a.path}: ${info.reason}` };
    if (info.state !== 'file') return { changes: [], failed: true, msg: `Path ${a.path} does not exist !`, result: { rc: 257 }, pending: { missing: `${a.path} does not exist`, action: `edit ${a.path}` } };
    const { text, utf8 } = decode(info.content);
    let r: ReturnType<typeof planReplace>;
    try {
      r = planReplace(a, text);
    } catch (e) {
      return { changes: [], failed: true, msg: `bad regular expression: ${(e as Error).message}` };
    }
    if ('nomatch' in r) return { changes: [], msg: `Pattern for before/after params did not match the given file: ${r.nomatch}`, result: { rc: 0 } };
    const changed = r.count > 0 && r.text !== text;
    const after = changed ? (utf8 ? Buffer.from(r.text, 'utf8').toString('latin1') : r.text) : info.content.toString('latin1');
    const plan = planTextFile(a, info, after, changed ? `${r.count} replacements made` : '', { follow: true });
    plan.result = { ...(plan.result ?? {}), rc: 0 };
    return plan;
  },
};
