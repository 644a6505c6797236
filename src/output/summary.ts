/**
 * `--summary FILE`: a markdown summary for a pull request or a CI job page:
 * the recap as a table, then what changed (or would change), per host, with
 * the diffs folded. Built from the same (already redacted) events.
 */
import { writeFile } from 'node:fs/promises';
import { unifiedDiff } from './diff.ts';
import type { HostStats, RunEvent, TaskOutcome } from '../events/events.ts';
import { printable } from './printable.ts';

/** Text GitHub would take as HTML or markdown (`<worse>` would vanish) shown as text. */
export function mdText(s: string): string {
  return printable(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_|[\]])/g, '\\$1').replace(/\n/g, ' ');
}

/** What a task says it did: for a loop, the items that changed (or failed). */
function what(r: TaskOutcome): string {
  if (r.items?.length) {
    const items = r.items.filter((i) => i.status === (r.status === 'failed' ? 'failed' : 'changed')).map((i) => i.label);
    if (items.length) return `${r.status === 'failed' ? 'failed for' : 'items'}: ${items.map(mdText).join(', ')}`;
  }
  return mdText(r.msg);
}

export class SummaryRenderer {
  private playbook = '';
  private check = false;
  private readonly results: TaskOutcome[] = [];
  private stats: Record<string, HostStats> = {};
  private readonly unreachable: Record<string, string> = {};

  constructor(private readonly file: string) {}

  handle(e: RunEvent): void {
    if (e.kind === 'run-start') {
      this.playbook = e.playbook;
      this.check = e.check;
    } else if (e.kind === 'task-result') this.results.push(e);
    else if (e.kind === 'host-unreachable') this.unreachable[e.host] = e.msg;
    else if (e.kind === 'recap') this.stats = e.stats;
  }

  render(): string {
    const changed = this.results.filter((r) => r.changed && r.status !== 'failed');
    const failed = this.results.filter((r) => r.status === 'failed' && !r.ignored);
    const verdict = failed.length || Object.keys(this.unreachable).length ? '❌ failed' : changed.length ? (this.check ? '⚠️ changes pending' : '✅ applied changes') : '✅ no changes';
    const lines = [`## jitsi-fleet ${this.check ? 'check' : 'run'}: ${verdict}`, '', `Playbook: \`${this.playbook.replace(/`/g, "'")}\``, ''];
    lines.push('| host | ok | changed | failed | skipped | unreachable |', '| --- | --- | --- | --- | --- | --- |');
    for (const [h, s] of Object.entries(this.stats)) lines.push(`| ${mdText(h)} | ${s.ok} | ${s.changed} | ${s.failed} | ${s.skipped} | ${s.unreachable} |`);
    for (const [h, m] of Object.entries(this.unreachable)) lines.push('', `**${mdText(h)} unreachable**: ${mdText(m)}`);
    if (failed.length) {
      lines.push('', '### Failed');
      for (const r of failed) lines.push(`- **${mdText(r.host)}** ${mdText(r.task)}: ${what(r)}`);
    }
    if (changed.length) {
      lines.push('', this.check ? '### Would change' : '### Changed');
      for (const r of changed) {
        const said = what(r);
        lines.push(`- **${mdText(r.host)}** ${mdText(r.task)}${said ? `: ${said}` : ''}`);
        if (r.diff.length) lines.push('  <details><summary>diff</summary>', '', '  ```diff', ...r.diff.flatMap((d) => printable(unifiedDiff(d, false)).replace(/```/g, "'''").replace(/\n$/, '').split('\n').map((l) => '  ' + l)), '  ```', '  </details>');
      }
    }
    return lines.join('\n') + '\n';
  }

  async done(): Promise<void> {
    await writeFile(this.file, this.render());
  }
}
