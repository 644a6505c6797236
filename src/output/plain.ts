/** Plain lines for CI logs and pipes: one line per task and host, no escape codes. */
import type { RunEvent } from '../events/events.ts';
import { unifiedDiff } from './diff.ts';
import { recapLines } from './recap.ts';
import { printable, withoutHost } from './printable.ts';

export class PlainRenderer {
  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  handle(e: RunEvent): void {
    const w = (s: string) => this.write(printable(s) + '\n');
    switch (e.kind) {
      case 'run-start':
        w(`jitsi-fleet: ${e.playbook}${e.check ? ' (check mode: nothing will be changed)' : ''}`);
        break;
      case 'play-start':
        w(`\nPLAY [${e.name}] hosts: ${e.hosts.join(', ') || '(none)'}`);
        break;
      case 'task-start':
        w(`${e.handler ? 'HANDLER' : 'TASK'} [${e.name}]`);
        break;
      case 'task-result': {
        // An unreachable host has its own line (host-unreachable), once.
        if (e.status === 'unreachable') break;
        const label = { ok: 'ok', changed: 'changed', failed: 'failed', skipped: 'skipping', unreachable: 'unreachable' }[e.status];
        const via = e.delegatedTo ? ` -> ${e.delegatedTo}` : '';
        const ignored = e.ignored ? ' (ignored)' : '';
        w(`  ${label}: [${e.host}${via}] ${e.task}${e.msg ? ' - ' + e.msg : ''}${ignored}`);
        for (const item of e.items ?? []) w(`    ${item.status}: (item=${item.label})${item.msg ? ' - ' + item.msg : ''}`);
        for (const d of e.diff) w(unifiedDiff(d, false).replace(/\n$/, '').split('\n').map((l) => '    ' + l).join('\n'));
        break;
      }
      case 'host-unreachable':
        w(`  unreachable: [${e.host}] ${withoutHost(e.host, e.msg)}`);
        break;
      case 'task-retry':
        w(`  FAILED - RETRYING: [${e.host}] ${printable(e.task)} (${e.attempts - e.attempt} retries left, every ${e.delay} s)${e.msg ? ' - ' + printable(e.msg).split('\n')[0] : ''}`);
        break;
      case 'warning':
        w(`[WARNING] ${e.host ? `[${e.host}] ` : ''}${e.msg}`);
        break;
      case 'interrupted':
        w(`[INTERRUPTED] ${e.msg}`);
        break;
      case 'recap':
        w('\nRECAP');
        for (const l of recapLines(e.stats)) w(l);
        w(`(${(e.durationMs / 1000).toFixed(1)}s; commands sent: ${Object.entries(e.commands).map(([h, n]) => `${h}=${n}`).join(' ')})`);
        break;
      default:
        break;
    }
  }

  async done(): Promise<void> {}
}
