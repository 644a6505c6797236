/**
 * The terminal view: listr2 progress with one line per host, live. Each
 * host's line shows the task it is on and its counts; diffs and failures are
 * printed under the play when it ends, so they do not tear the live view.
 * A play over more hosts than the terminal can show well (more than
 * SUMMARY_FROM, or than its rows allow) gets one summary line instead: the
 * task, how many hosts are done with it, the counts, and the hosts still
 * working; its final screen groups hosts that did the same thing.
 */
import { Listr, ListrTaskEventType, type ListrTaskWrapper } from 'listr2';
import { unifiedDiff } from './diff.ts';
import { emptyStats, type HostStats, type RunEvent } from '../events/events.ts';
import { recapLines } from './recap.ts';
import { printable, withoutHost } from './printable.ts';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A host can fail before listr2 has started its task: nobody awaits the
  // promise yet, and an unobserved rejection would end the process.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

type Wrapper = ListrTaskWrapper<unknown, any, any>;

/** Plays over more hosts than this get the summary line (a terminal with fewer rows: sooner). */
export const SUMMARY_FROM = 20;

/** Updates a listr2 line, which may have ended already; the final screen is printed by us anyway. */
function safely(update: () => void): void {
  try {
    update();
  } catch {
    /* the line is gone: nothing to update */
  }
}

/**
 * Changes a line without a redraw now. listr2 redraws the whole view on every
 * title or output change, and its spinner redraws it 10 times a second anyway:
 * with the first, 20 tasks on 10 hosts made some 600 redraws of 10 lines (13 s
 * of CPU for a run that takes 0.6 s in plain mode). The spinner's next frame
 * shows the change. The output goes through the task's event, which fills
 * listr2's output bar.
 */
function quietly(w: Wrapper, change: { title?: string; output?: string }): void {
  safely(() => {
    if (change.title !== undefined) w.task.title = change.title;
    if (change.output !== undefined) {
      w.task.output = change.output;
      w.task.emit(ListrTaskEventType.OUTPUT, change.output);
    }
  });
}

function bindWrite(): (s: string) => void {
  const raw = process.stdout.write.bind(process.stdout);
  return (s) => void raw(s);
}

export class ListrRenderer {
  private chain: Promise<void> = Promise.resolve();
  private run?: Promise<unknown>;
  private hosts = new Map<string, { done: Deferred; task?: Wrapper; ready: Deferred; stats: HostStats; current?: string }>();
  private notes: string[] = [];
  private taskNames = new Map<number, string>();
  /** Per host of the current play: the lines of the final screen (changed, failed, unreachable). */
  private done_ = new Map<string, string[]>();
  private diffMode = false;
  private checkMode = false;
  /** Summary mode: the play's one line, the task the hosts are on, and who has not answered it yet. */
  private summary?: { task?: Wrapper; done: Deferred; ready: Deferred; current: string; waiting: Set<string>; hosts: number; lastDraw: number; timer?: NodeJS.Timeout };

  // The real stdout write, taken before listr2 hijacks process.stdout: what we print around the
  // live view (play headers, failures, the recap) must reach the terminal even when listr2 keeps
  // its buffer (seen when a host fails before its line started).
  constructor(private readonly write: (s: string) => void = bindWrite()) {
    // A terminal that reports no size (a fresh pty) would make listr2 wrap every character.
    if (process.stdout.isTTY && !process.stdout.columns) process.stdout.columns = Number(process.env.COLUMNS) || 80;
  }

  handle(e: RunEvent): void {
    this.chain = this.chain.then(() => this.apply(e)).catch(() => {});
  }

  private title(host: string): string {
    const h = this.hosts.get(host)!;
    const s = h.stats;
    const counts = `ok=${s.ok} changed=${s.changed}${s.failed ? ` failed=${s.failed}` : ''}${s.skipped ? ` skipped=${s.skipped}` : ''}`;
    return `${host}  \x1b[2m${counts}\x1b[0m${h.current ? `  ${h.current}` : ''}`;
  }

  private async apply(e: RunEvent): Promise<void> {
    switch (e.kind) {
      case 'run-start':
        this.diffMode = e.diff;
        this.checkMode = e.check;
        this.write(`\x1b[1mjitsi-fleet\x1b[0m ${e.playbook}${e.check ? ' \x1b[33m(check mode: nothing will be changed)\x1b[0m' : ''}\n`);
        break;
      case 'play-start': {
        // What happened before the play (hosts found unreachable while taking the run locks).
        if (this.notes.length) this.write(this.notes.join('\n') + '\n');
        this.write(`\n\x1b[1mPLAY\x1b[0m ${e.name}\n`);
        this.hosts.clear();
        this.notes = [];
        this.done_ = new Map(e.hosts.map((h) => [h, [] as string[]]));
        for (const h of e.hosts) this.hosts.set(h, { done: deferred(), ready: deferred(), stats: emptyStats() });
        const rows = process.stdout.rows || 40;
        if (e.hosts.length > Math.min(SUMMARY_FROM, Math.max(5, rows - 8))) {
          const sm = (this.summary = { done: deferred(), ready: deferred(), current: 'starting', waiting: new Set<string>(), hosts: e.hosts.length, lastDraw: 0 } as NonNullable<ListrRenderer['summary']>);
          const list = new Listr(
            [{ title: `${e.hosts.length} hosts`, task: async (_c: unknown, task: Wrapper) => { sm.task = task; sm.ready.resolve(); await sm.done.promise; }, rendererOptions: { persistentOutput: false, outputBar: 1 } }],
            { concurrent: false, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseSubtasks: false, showErrorMessage: true } },
          );
          this.run = list.run().catch(() => {});
          await Promise.race([sm.ready.promise, new Promise((r) => setTimeout(r, 200))]);
          break;
        }
        const list = new Listr(
          e.hosts.map((h) => ({
            title: h,
            task: async (_ctx: unknown, task: Wrapper) => {
              const entry = this.hosts.get(h)!;
              entry.task = task;
              entry.ready.resolve();
              await entry.done.promise;
            },
            rendererOptions: { persistentOutput: false, outputBar: 1 },
          })),
          { concurrent: true, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseSubtasks: false, showErrorMessage: true } },
        );
        this.run = list.run().catch(() => {});
        await Promise.race([Promise.all(e.hosts.map((h) => this.hosts.get(h)!.ready.promise)), new Promise((r) => setTimeout(r, 200))]);
        break;
      }
      case 'task-start':
        this.taskNames.set(e.taskId, e.name);
        if (this.summary) {
          this.summary.current = `${e.handler ? 'handler: ' : ''}${e.name}`;
          this.summary.waiting = new Set(e.hosts);
          this.drawSummary(true);
        }
        for (const h of e.hosts) {
          const entry = this.hosts.get(h);
          if (!entry?.task) continue;
          entry.current = `${e.handler ? 'handler: ' : ''}${e.name}`;
          quietly(entry.task, { title: this.title(h) });
        }
        break;
      case 'task-retry': {
        const entry = this.hosts.get(e.host);
        if (entry?.task) {
          const width = Math.max(20, (process.stdout.columns || 80) - 8);
          const line = printable(`retrying: ${e.task} (attempt ${e.attempt + 1} of ${e.attempts}, every ${e.delay} s)${e.msg ? ' - ' + e.msg : ''}`).replace(/\n/g, ' ');
          quietly(entry.task, { output: line.length > width ? line.slice(0, width - 1) + '…' : line });
        }
        break;
      }
      case 'task-result': {
        const entry = this.hosts.get(e.host);
        if (!entry) break;
        const s = entry.stats;
        if (e.status === 'failed' && !e.ignored) s.failed++;
        else if (e.status === 'skipped') s.skipped++;
        else if (e.status !== 'unreachable') {
          s.ok++;
          if (e.changed) s.changed++;
        }
        if (this.summary) {
          this.summary.waiting.delete(e.host);
          this.drawSummary(false);
        }
        if (entry.task) {
          // One line under the host: a long message would wrap into fragments.
          const width = Math.max(20, (process.stdout.columns || 80) - 8);
          const line = printable(`${e.status}: ${e.task}${e.msg ? ' - ' + e.msg : ''}`).replace(/\n/g, ' ');
          quietly(entry.task, { title: this.title(e.host), output: line.length > width ? line.slice(0, width - 1) + '…' : line });
        }
        // The final screen keeps, per host, what changed and what failed (with the reason).
        const lines = this.done_.get(e.host);
        const items = (status: string) => e.items?.filter((i) => i.status === status).map((i) => i.label) ?? [];
        const forItems = (status: string) => (items(status).length ? ` (${items(status).map(printable).join(', ')})` : '');
        if (e.status === 'failed') lines?.push(`\x1b[31mfailed\x1b[0m   ${printable(e.task)}${forItems('failed')} - ${printable(e.msg)}${e.ignored ? ' (ignored)' : ''}`);
        else if (e.changed) lines?.push(`\x1b[33m${this.checkMode ? 'would change' : 'changed'}\x1b[0m  ${printable(e.task)}${forItems('changed')}${e.msg && !e.items ? `\x1b[2m - ${printable(e.msg)}\x1b[0m` : ''}`);
        for (const d of e.diff) this.notes.push(`\x1b[33mdiff\x1b[0m: [${e.host}] ${printable(e.task)}\n${unifiedDiff({ ...d, before: printable(d.before), after: printable(d.after) }, true)}`);
        break;
      }
      case 'host-unreachable': {
        const entry = this.hosts.get(e.host);
        // Said once: here, with the reason; the host's line only says "unreachable".
        this.done_.get(e.host)?.push(`\x1b[31munreachable\x1b[0m  ${printable(withoutHost(e.host, e.msg))}`);
        if (!this.done_.has(e.host)) this.notes.push(`\x1b[31munreachable\x1b[0m: [${e.host}] ${printable(withoutHost(e.host, e.msg))}`);
        if (entry) {
          if (entry.task) safely(() => (entry.task!.title = `${e.host}  \x1b[31munreachable\x1b[0m`));
          entry.done.reject(new Error(`${e.host}  \x1b[31munreachable\x1b[0m`));
        }
        break;
      }
      case 'warning':
        this.notes.push(`\x1b[33mwarning\x1b[0m: ${e.msg}`);
        break;
      case 'interrupted':
        this.notes.push(`\x1b[33minterrupted\x1b[0m: ${e.msg}`);
        break;
      case 'play-end':
        await this.finishPlay();
        break;
      case 'recap':
        await this.finishPlay();
        this.write('\n\x1b[1mRECAP\x1b[0m\n' + recapLines(e.stats, true).join('\n') + '\n');
        this.write(`\x1b[2m${(e.durationMs / 1000).toFixed(1)}s; commands sent: ${Object.entries(e.commands).map(([h, n]) => `${h}=${n}`).join(' ')}\x1b[0m\n`);
        this.write(`\x1b[2m${this.hint(e.stats)}\x1b[0m\n`);
        break;
      default:
        break;
    }
  }

  /** The summary line: redrawn at most 10 times a second (a play over 200 hosts sends thousands of events). */
  private drawSummary(now: boolean): void {
    const sm = this.summary;
    if (!sm?.task) return;
    const draw = () => {
      sm.timer = undefined;
      sm.lastDraw = Date.now();
      const totals = emptyStats();
      let failedHosts = 0;
      for (const h of this.hosts.values()) {
        totals.ok += h.stats.ok;
        totals.changed += h.stats.changed;
        if (h.stats.failed) failedHosts++;
      }
      const unreachable = [...this.done_.values()].filter((l) => l.some((x) => x.includes('unreachable'))).length;
      const done = sm.hosts - sm.waiting.size;
      const counts = `ok=${totals.ok} changed=${totals.changed}${failedHosts ? ` \x1b[31mfailed hosts=${failedHosts}\x1b[0m` : ''}${unreachable ? ` \x1b[31munreachable=${unreachable}\x1b[0m` : ''}`;
      const width = Math.max(20, (process.stdout.columns || 80) - 8);
      const waiting = [...sm.waiting];
      const shown = waiting.slice(0, 6).join(', ') + (waiting.length > 6 ? ` +${waiting.length - 6}` : '');
      quietly(sm.task!, {
        title: printable(`${sm.hosts} hosts  ${done}/${sm.hosts} done with: ${sm.current}`).slice(0, width) + `  \x1b[2m${counts}\x1b[0m`,
        output: waiting.length ? printable(`working: ${shown}`).slice(0, width) : '',
      });
    };
    if (now || Date.now() - sm.lastDraw >= 100) {
      if (sm.timer) clearTimeout(sm.timer);
      draw();
    } else sm.timer ??= setTimeout(draw, 100 - (Date.now() - sm.lastDraw));
  }

  /** Summary mode's final screen: hosts that did the same thing on one line. */
  private groupedScreen(): string[] {
    const byLine = new Map<string, string[]>();
    for (const [h, lines] of this.done_) for (const l of lines) byLine.set(l, [...(byLine.get(l) ?? []), h]);
    return [...byLine].map(([line, hosts]) => `  ${line}  \x1b[2m(${hosts.length === this.done_.size ? `all ${hosts.length} hosts` : hosts.length > 8 ? `${hosts.length} hosts: ${hosts.slice(0, 8).join(', ')} +${hosts.length - 8}` : hosts.join(', ')})\x1b[0m`);
  }

  private async finishPlay(): Promise<void> {
    const sm = this.summary;
    if (sm) {
      if (sm.timer) clearTimeout(sm.timer);
      sm.waiting.clear();
      sm.current = 'play ended';
      this.drawSummary(true);
      const failed = [...this.hosts.values()].some((h) => h.stats.failed);
      if (failed) sm.done.reject(new Error(`${sm.hosts} hosts  \x1b[31msome failed\x1b[0m`));
      else sm.done.resolve();
      await this.run;
      this.run = undefined;
      this.summary = undefined;
      this.hosts.clear();
      const screen = this.groupedScreen();
      if (screen.length) this.write(screen.join('\n') + '\n');
      if (this.notes.length) this.write(this.notes.join('\n') + '\n');
      this.notes = [];
      this.done_.clear();
      return;
    }
    for (const [h, entry] of this.hosts) {
      if (entry.task) {
        entry.current = undefined;
        // listr2 throws when a task's line is updated after its list has ended (all hosts failed early).
        quietly(entry.task, { title: this.title(h), output: '' });
      }
      // listr2 shows a failed task's error instead of its title: the host's line with its counts.
      if (entry.stats.failed) entry.done.reject(new Error(this.title(h)));
      else entry.done.resolve();
    }
    await this.run;
    this.run = undefined;
    this.hosts.clear();
    const perHost = [...this.done_].filter(([, lines]) => lines.length);
    const width = Math.max(0, ...perHost.map(([h]) => h.length));
    const screen = perHost.map(([h, lines]) => lines.map((l, i) => `  ${(i === 0 ? h : '').padEnd(width)}  ${l}`).join('\n'));
    if (screen.length) this.write(screen.join('\n') + '\n');
    if (this.notes.length) this.write(this.notes.join('\n') + '\n');
    this.notes = [];
    this.done_.clear();
  }

  /** The last line: where to see more. */
  private hint(stats: Record<string, HostStats>): string {
    const changed = Object.values(stats).some((s) => s.changed > 0);
    const parts = [];
    if (changed && !this.diffMode) parts.push(`--diff to see the edits`);
    parts.push('--output json for everything');
    return `more: ${parts.join(', ')}`;
  }

  async done(): Promise<void> {
    await this.chain;
  }

  /** The run ended with an error before its recap: stop the live view so the error can be printed. */
  async abort(): Promise<void> {
    await this.chain;
    if (this.run) await this.finishPlay();
  }
}
