/**
 * `--junit FILE`: a JUnit XML report for CI systems, one test case per task
 * and host (failed → <failure>, skipped → <skipped>, diffs in system-out).
 * Built from the same (already redacted) events as every other output.
 */
import { writeFile } from 'node:fs/promises';
import { unifiedDiff } from './diff.ts';
import type { RunEvent, TaskOutcome } from '../events/events.ts';
import { printable } from './printable.ts';

// Control characters are shown as escapes (XML 1.0 cannot carry most of them, and dropping them would hide them).
const esc = (s: string) => printable(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class JunitRenderer {
  private readonly plays: { name: string; results: TaskOutcome[] }[] = [];
  private unreachable: Record<string, string> = {};
  private check = false;

  constructor(private readonly file: string) {}

  handle(e: RunEvent): void {
    if (e.kind === 'run-start') this.check = e.check;
    else if (e.kind === 'play-start') this.plays.push({ name: e.name, results: [] });
    else if (e.kind === 'task-result') this.plays[this.plays.length - 1]?.results.push(e);
    else if (e.kind === 'host-unreachable') this.unreachable[e.host] = e.msg;
  }

  render(): string {
    const suites = this.plays.map((p) => {
      const cases = p.results.map((r) => {
        const name = `${r.host}: ${r.task}`;
        const time = (r.durationMs / 1000).toFixed(3);
        let body = '';
        if (r.status === 'failed' && !r.ignored) body += `<failure message="${esc(r.msg)}">${esc(r.msg)}</failure>`;
        else if (r.status === 'unreachable') body += `<error message="${esc(r.msg)}">${esc(r.msg)}</error>`;
        else if (r.status === 'skipped') body += `<skipped message="${esc(r.msg)}"/>`;
        const out = [`${r.status}${r.changed ? (this.check ? ' (would change)' : '') : ''}: ${r.msg}`, ...r.diff.map((d) => unifiedDiff(d, false))].join('\n');
        body += `<system-out>${esc(out)}</system-out>`;
        return `    <testcase classname="${esc(p.name)}" name="${esc(name)}" time="${time}">${body}</testcase>`;
      });
      for (const [host, msg] of Object.entries(this.unreachable)) {
        if (!p.results.some((r) => r.host === host)) cases.push(`    <testcase classname="${esc(p.name)}" name="${esc(host)}: connect" time="0"><error message="${esc(msg)}">${esc(msg)}</error></testcase>`);
      }
      const failures = p.results.filter((r) => r.status === 'failed' && !r.ignored).length;
      const errors = cases.filter((c) => c.includes('<error ')).length;
      const skipped = p.results.filter((r) => r.status === 'skipped').length;
      return `  <testsuite name="${esc(p.name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`;
    });
    return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="jitsi-fleet${this.check ? ' check' : ''}">\n${suites.join('\n')}\n</testsuites>\n`;
  }

  async done(): Promise<void> {
    await writeFile(this.file, this.render());
  }
}
