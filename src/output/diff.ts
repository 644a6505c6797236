/** Unified diffs of file changes (jsdiff), coloured for a terminal. */
import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../events/events.ts';

export function unifiedDiff(d: FileDiff, color: boolean): string {
  if (d.note) return `--- ${d.path}\n+++ ${d.path}\n${d.note}\n`;
  const patch = createTwoFilesPatch(d.path, d.path, d.before, d.after, 'before', 'after', { context: 3 });
  const body = patch.split('\n').filter((l) => !l.startsWith('====') && !l.startsWith('Index: ')).join('\n');
  if (!color) return body;
  return body
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? `\x1b[32m${l}\x1b[0m` : l.startsWith('-') && !l.startsWith('---') ? `\x1b[31m${l}\x1b[0m` : l.startsWith('@@') ? `\x1b[36m${l}\x1b[0m` : l))
    .join('\n');
}
