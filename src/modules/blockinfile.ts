/**
 * blockinfile: a marked block of lines in a file, as Ansible's module.
 *
 * ```yaml
 * - blockinfile:
 *     path: /etc/prosody/conf.d/meet.example.com.cfg.lua
 *     marker: "-- {mark} jitsi-fleet videobridge2"
 *     block: |
 *       Component "videobridge2.meet.example.com"
 *           component_secret = "..."
 * ```
 */
import { pyRegex } from '../template/filters.ts';
import { missingFile, planTextFile, readLines, textOf, withBytes, type FileArgs } from './text-file.ts';
import { FILE_COMMON_PROPS } from './file-attrs.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface BlockinfileArgs extends FileArgs {
  state: 'present' | 'absent';
  block: string;
  marker: string;
  marker_begin: string;
  marker_end: string;
  insertafter?: string;
  insertbefore?: string;
  create: boolean;
}

export function planBlock(a: BlockinfileArgs, original: string | undefined): { result: string; msg: string } {
  const lines = original === undefined ? [] : readLines(original);
  const present = a.state === 'present';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  const insertre =
    insertafter !== undefined && insertafter !== 'EOF' ? insertafter : insertbefore !== undefined && insertbefore !== 'BOF' ? insertbefore : undefined;
  const marker0 = a.marker.split('{mark}').join(a.marker_begin) + '\n';
  const marker1 = a.marker.split('{mark}').join(a.marker_end) + '\n';
  let block = a.block ?? '';
  let blocklines: string[] = [];
  if (present && block) {
    if (!block.endsWith('\n')) block += '\n';
    blocklines = [marker0, ...readLines(block), marker1];
  }
  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((l, i) => {
    if (l === marker0) n0 = i;
    if (l === marker1) n1 = i;
  });
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insertre !== undefined) {
      const re = pyRegex(insertre);
      if (re.multiline && original !== undefined) {
        const m = re.exec(original);
        if (m) {
          const upto = insertafter !== undefined ? m.index + m[0].length : m.index;
          n0 = (original.slice(0, upto).match(/\n/g) ?? []).length;
        }
      } else {
        lines.forEach((l, i) => {
          if (re.test(l.replace(/\n$/, ''))) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && !lines[n0 - 1].endsWith('\n')) lines[n0 - 1] += '\n';
  lines.splice(n0, 0, ...blocklines);
  const result = lines.join('');
  let msg = '';
  if (original === result) msg = '';
  else if (original === undefined) msg = 'File created';
  else if (blocklines.length === 0) msg = 'Block removed';
  else msg = 'Block inserted';
  return { result, msg };
}

export const blockinfile: ModuleDef<BlockinfileArgs> = {
  name: 'blockinfile',
  hostPaths: ['path'],
  argAliases: { dest: 'path', destfile: 'path', name: 'path', content: 'block' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string' },
      state: { enum: ['present', 'absent'], default: 'present' },
      block: { type: 'string', default: '' },
      marker: { type: 'string', default: '# {mark} ANSIBLE MANAGED BLOCK' },
      marker_begin: { type: 'string', default: 'BEGIN' },
      marker_end: { type: 'string', default: 'END' },
      insertafter: { type: 'string' },
      insertbefore: { type: 'string' },
      create: { type: 'boolean', default: false },
      ...FILE_COMMON_PROPS,
    },
    not: { required: ['insertafter', 'insertbefore'] },
    errorMessage: 'insertafter and insertbefore are mutually exclusive',
  },
  reads: (a) => [a.path],
  async plan(args, ctx): Promise<Plan> {
    const a = withBytes(args, ['block', 'marker', 'marker_begin', 'marker_end', 'insertafter', 'insertbefore']);
    const info = await ctx.files.get(a.path, ctx.become);
    if (info.state === 'directory') return { changes: [], failed: true, msg: `Path ${a.path} is a directory !`, result: { rc: 256 } };
    if (info.state === 'unreadable') return { changes: [], failed: true, msg: `cannot read ${a.path}: ${info.reason}` };
    if (info.state === 'absent') {
      if (!a.create) return missingFile(a.path, `Path ${a.path} does not exist !`, 257);
    }
    if (a.state === 'absent' && info.state === 'absent') return { changes: [], msg: `File ${a.path} not present` };
    const original = textOf(info);
    const { result, msg } = planBlock(a, original);
    const plan = planTextFile(a, info, result, msg, { makeParents: true, follow: true });
    if (plan.changes.length === 0) plan.msg = a.state === 'present' ? `block already in ${a.path}` : `no block to remove from ${a.path}`;
    return plan;
  },
};
