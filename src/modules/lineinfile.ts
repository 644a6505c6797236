/**
 * lineinfile: make sure a line is in a file (or not), as Ansible's module.
 *
 * ```yaml
 * - lineinfile:
 *     path: /etc/jitsi/videobridge/config
 *     regexp: '^JVB_OPTS='
 *     line: 'JVB_OPTS="--apis=rest,xmpp --subdomain=videobridge2"'
 * ```
 */
import { pyRegex } from '../template/filters.ts';
import { missingFile, readLines, textOf, planTextFile, withBytes, type FileArgs } from './text-file.ts';
import { FILE_COMMON_PROPS } from './file-attrs.ts';
import type { ModuleContext, ModuleDef, Plan } from './types.ts';

export interface LineinfileArgs extends FileArgs {
  state: 'present' | 'absent';
  line?: string;
  regexp?: string;
  search_string?: string;
  insertafter?: string;
  insertbefore?: string;
  create: boolean;
  backrefs: boolean;
  firstmatch: boolean;
}

/** Python's `match.expand`: `\1`, `\g<1>`, `\g<name>` in the template. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\\g<(\w+)>|\\(\d{1,2})|\\n|\\t|\\\\/g, (tok, named: string | undefined, num: string | undefined) => {
    if (named !== undefined) return (/^\d+$/.test(named) ? m[Number(named)] : m.groups?.[named]) ?? '';
    if (num !== undefined) return m[Number(num)] ?? '';
    return tok === '\\n' ? '\n' : tok === '\\t' ? '\t' : '\\';
  });
}

/** A line without its terminator, for Python's `search` whose `$` also matches before a final newline. */
const body = (l: string) => l.replace(/\n$/, '');
const stripEol = (l: string) => l.replace(/[\r\n]+$/, '');

export function planPresent(a: LineinfileArgs, lines: string[]): { lines: string[]; msg: string; changed: boolean } {
  const line = a.line ?? '';
  const re = a.regexp !== undefined ? pyRegex(a.regexp) : undefined;
  const insRe =
    a.insertafter !== undefined && a.insertafter !== 'BOF' && a.insertafter !== 'EOF'
      ? pyRegex(a.insertafter)
      : a.insertbefore !== undefined && a.insertbefore !== 'BOF'
        ? pyRegex(a.insertbefore)
        : undefined;
  const index = [-1, -1];
  let match: RegExpExecArray | boolean | null = null;
  let exact = false;
  if (re) {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(body(lines[i]));
      if (m) {
        index[0] = i;
        match = m;
        if (a.firstmatch) break;
      }
    }
  }
  if (a.search_string !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].includes(a.search_string)) {
        index[0] = i;
        match = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let i = 0; i < lines.length; i++) {
      if (line === stripEol(lines[i])) {
        index[0] = i;
        exact = true;
      } else if (insRe && insRe.test(body(lines[i]))) {
        if (a.insertafter !== undefined) {
          index[1] = i + 1;
          if (a.firstmatch) break;
        }
        if (a.insertbefore !== undefined) {
          index[1] = i;
          if (a.firstmatch) break;
        }
      }
    }
  }
  const out = [...lines];
  let msg = '';
  let changed = false;
  const add = (at: number) => {
    out.splice(at, 0, line + '\n');
    msg = 'line added';
    changed = true;
  };
  if (index[0] !== -1) {
    let newLine = a.backrefs && match && match !== true ? expand(line, match) : line;
    if (!newLine.endsWith('\n')) newLine += '\n';
    if (a.regexp === undefined && a.search_string === undefined && !match && !exact) {
      // Unreachable as in Ansible: index[0] is set only by a match or an exact line.
    } else if (out[index[0]] !== newLine) {
      out[index[0]] = newLine;
      msg = 'line replaced';
      changed = true;
    }
  } else if (a.backrefs) {
    // backrefs with no match: nothing changes.
  } else if (a.insertbefore === 'BOF' || a.insertafter === 'BOF') {
    add(0);
  } else if (a.insertafter === 'EOF' || index[1] === -1) {
    if (out.length && !/[\n\r]$/.test(out[out.length - 1])) out.push('\n');
    out.push(line + '\n');
    msg = 'line added';
    changed = true;
  } else if (a.insertafter !== undefined && index[1] !== -1) {
    if (out.length === index[1]) {
      if (stripEol(out[index[1] - 1]) !== line) {
        out.push(line + '\n');
        msg = 'line added';
        changed = true;
      }
    } else if (line !== stripEol(out[index[1]])) {
      add(index[1]);
    }
  } else {
    add(index[1]);
  }
  return { lines: out, msg, changed };
}

export function planAbsent(a: LineinfileArgs, lines: string[]): { lines: string[]; found: number } {
  const re = a.regexp !== undefined ? pyRegex(a.regexp) : undefined;
  const kept = lines.filter((l) => {
    if (re) return !re.test(body(l));
    if (a.search_string !== undefined) return !l.includes(a.search_string);
    return a.line !== stripEol(l);
  });
  return { lines: kept, found: lines.length - kept.length };
}

export const lineinfile: ModuleDef<LineinfileArgs> = {
  name: 'lineinfile',
  hostPaths: ['path'],
  argAliases: { dest: 'path', destfile: 'path', name: 'path', regex: 'regexp', value: 'line' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string' },
      state: { enum: ['present', 'absent'], default: 'present' },
      line: { type: 'string' },
      regexp: { type: 'string' },
      search_string: { type: 'string' },
      insertafter: { type: 'string' },
      insertbefore: { type: 'string' },
      create: { type: 'boolean', default: false },
      backrefs: { type: 'boolean', default: false },
      firstmatch: { type: 'boolean', default: false },
      ...FILE_COMMON_PROPS,
    },
    not: {
      anyOf: [
        { required: ['insertafter', 'insertbefore'] },
        { required: ['regexp', 'search_string'] },
        { required: ['backrefs', 'search_string'], properties: { backrefs: { const: true } } },
      ],
    },
    errorMessage: 'insertafter/insertbefore, regexp/search_string and backrefs/search_string are mutually exclusive',
  },
  reads: (a) => [a.path],
  async plan(args, ctx): Promise<Plan> {
    // Checked before anything else, as Ansible's lineinfile does (even when the line is already there).
    if (args.validate !== undefined && !args.validate.includes('%s')) return { changes: [], failed: true, msg: `validate must contain %s: ${args.validate}` };
    const plan = await planLineinfile(args, ctx);
    // An empty regexp or search_string matches every line: Ansible warns, so do we (in the result, as its warnings).
    const empty = args.regexp === '' ? 'regular expression' : args.search_string === '' ? 'search string' : undefined;
    if (!empty) return plan;
    const warning = `The ${empty} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.${empty === 'regular expression' ? " If this is desired, use '^' to match every line in the file and avoid this warning." : ''}`;
    return { ...plan, result: { ...(plan.result ?? {}), warnings: [warning] } };
  },
};

async function planLineinfile(args: LineinfileArgs, ctx: ModuleContext): Promise<Plan> {
  {
    // Matched as bytes: the file's other bytes pass through unchanged, whatever their encoding.
    const a = withBytes(args, ['line', 'regexp', 'search_string', 'insertafter', 'insertbefore']);
    if (a.state === 'present' && a.line === undefined) return { changes: [], failed: true, msg: 'line is required with state=present' };
    if (a.backrefs && a.regexp === undefined) return { changes: [], failed: true, msg: 'regexp is required with backrefs=true' };
    if (a.state === 'absent' && a.regexp === undefined && a.search_string === undefined && a.line === undefined) {
      return { changes: [], failed: true, msg: 'one of line, search_string, or regexp is required with state=absent' };
    }
    const info = await ctx.files.get(a.path, ctx.become);
    if (info.state === 'directory') return { changes: [], failed: true, msg: `Path ${a.path} is a directory !`, result: { rc: 256 } };
    if (info.state === 'unreadable') return { changes: [], failed: true, msg: `cannot read ${a.path}: ${info.reason}` };
    if (a.state === 'absent') {
      if (info.state === 'absent') return { changes: [], msg: 'file not present' };
      const { lines, found } = planAbsent(a, readLines(textOf(info)!));
      const plan = planTextFile(a, info, lines.join(''), `${found} line(s) removed`, { extra: { found, backup: '' }, follow: true });
      if (found === 0) plan.msg = plan.msg || `no line matches, nothing to remove from ${a.path}`;
      return plan;
    }
    if (info.state === 'absent' && !a.create) return missingFile(a.path, `Destination ${a.path} does not exist !`, 257);
    const { lines, msg, changed } = planPresent(a, readLines(textOf(info) ?? ''));
    const reason = a.backrefs && !changed ? `regexp matches no line of ${a.path}; backrefs leaves it unchanged` : `line already present in ${a.path}`;
    if (!changed && info.state === 'absent') return { changes: [], msg: reason };
    // `backup` (the backup file's path, or empty) is in every result, as Ansible's lineinfile.
    const plan = planTextFile(a, info, changed ? lines.join('') : textOf(info)!, msg, { makeParents: true, follow: true, extra: { backup: '' } });
    if (plan.changes.length === 0) plan.msg = reason;
    return plan;
  }
}
