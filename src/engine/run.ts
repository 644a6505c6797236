/**
 * The linear strategy: each task runs on all of the batch's hosts (at most
 * --forks at once) before the next starts. Blocks with rescue/always,
 * handlers at the end of each section or at flush_handlers, serial batches,
 * max_fail_percentage and any_errors_fatal as Ansible has them.
 */
import { InputError, InternalError, isFleetError, messageOf, type Location } from '../errors.ts';
import type { HostStats, RunEvent, TaskOutcome } from '../events/events.ts';
import { selectHosts } from '../inventory/pattern.ts';
import type { BlockNode, IncludeNode, Keywords, Node, Play, TaskNode } from '../playbook/types.ts';
import { condition, renderString, TemplateError } from '../template/templar.ts';
import { RunContext, type EngineOptions } from './context.ts';
import { gatherOn, prefetchFor } from './prepare.ts';
import { forEachLimited } from './pool.ts';
import { injectFault } from '../util/fault.ts';
import { selected } from './tags.ts';
import { loopItems, loopVarsOf, namedLoopControl, TaskRunner, taskTitle } from './task-runner.ts';
import { toBool } from '../template/filters.ts';
import type { Vars } from '../inventory/model.ts';
import { scope, setRaw } from './vars.ts';
import { boolKeyword, keywordBool } from './keywords.ts';
import type { WriteBehind, WriteFailure } from './write-behind.ts';
import type { Lookup } from '../util/lookup.ts';

export interface RunResult {
  stats: Record<string, HostStats>;
  commands: Record<string, number>;
  changed: number;
  failed: boolean;
  unreachable: boolean;
  interrupted: boolean;
  /** Tasks that failed through a bug of ours. */
  internalErrors: number;
}

class PlayAborted extends Error {}

/** Controller modules that must not run while writes wait (the user would see a pause with nothing reported before it). */
const NOT_DEFERRED = new Set(['pause']);

/** A task's outcome on a host where its queued write failed. */
function failedWrite(o: TaskOutcome, f: WriteFailure): TaskOutcome {
  const status = f.unreachable ? 'unreachable' : 'failed';
  const first = [...f.items.values()][0] ?? 'the write failed';
  if (!o.items) return { ...o, status, changed: false, msg: first, diff: [], result: { ...(o.result ?? {}), changed: false, failed: true, msg: first } };
  const items = o.items.map((it, i) => (f.items.has(i) ? { ...it, status: 'failed' as const, msg: f.items.get(i)! } : it));
  return { ...o, status, changed: false, msg: f.unreachable ? first : 'One or more items failed', diff: [], items, result: { ...(o.result ?? {}), changed: false, failed: true } };
}

/** True when a play's tasks (handlers and includes too) use add_host or group_by. */
export function addsToInventory(plays: Play[]): boolean {
  const walk = (nodes: Node[]): boolean =>
    nodes.some((n) => (n.kind === 'task' ? n.mod.name === 'add_host' || n.mod.name === 'group_by' : n.kind === 'block' ? walk(n.block) || walk(n.rescue) || walk(n.always) : walk(n.tasks)));
  return plays.some((p) => walk(p.preTasks) || walk(p.tasks) || walk(p.postTasks) || walk(p.handlers));
}

/** Resolves every play's hosts before anything runs, so a bad pattern stops the run early. */
/**
 * A play's hosts. `later`: the playbook adds hosts or groups as it runs
 * (add_host, group_by; see addsToInventory), so a pattern that matches
 * nothing yet is no error: the play is resolved again when it starts.
 */
export function resolvePlayHosts(opts: Pick<EngineOptions, 'inventory' | 'limit' | 'extraVars'>, play: Play, later = false): string[] {
  if (later) {
    try {
      return resolvePlayHosts(opts, play);
    } catch (e) {
      if (e instanceof InputError && /matches no host or group/.test(e.message)) return [];
      throw e;
    }
  }
  let pattern: string;
  try {
    pattern = String(renderString(play.hosts, scope([opts.extraVars, play.vars])));
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    throw new InputError(`the play's hosts: ${e.message}`, { location: play.hostsLocation, hint: 'hosts: may use extra vars (-e) and the play\'s vars only; inventory variables are not known yet' });
  }
  let hosts = selectHosts(opts.inventory, pattern, play.hostsLocation);
  if (opts.limit) {
    const allowed = new Set(selectHosts(opts.inventory, opts.limit));
    hosts = hosts.filter((h) => allowed.has(h));
  }
  if (['localhost', '127.0.0.1'].includes(pattern.trim()) && hosts.length === 0) hosts = ['localhost'];
  return hosts;
}

function batchesOf(hosts: string[], serial: (number | string)[] | undefined): string[][] {
  if (!serial || serial.length === 0) return [hosts];
  const sizes = serial.map((s) => {
    const txt = String(s).trim();
    if (txt.endsWith('%')) return Math.max(1, Math.floor((hosts.length * Number(txt.slice(0, -1))) / 100));
    const n = Number(txt);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`serial must be a positive number or a percentage, got '${txt}'`);
    return n;
  });
  const out: string[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k++, sizes.length - 1)];
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

export class Engine {
  private readonly ctx: RunContext;
  private taskCounter = 0;
  /** The run locks of every host (Engine.run starts taking them; runBatch waits for them). */
  private locks: Promise<void> = Promise.resolve();
  private interrupted = false;
  /** Tasks that failed through a bug of ours: the run exits 70. */
  private internalErrors = 0;

  constructor(private readonly opts: EngineOptions) {
    this.ctx = new RunContext(opts);
  }

  private stop(): boolean {
    if (!this.interrupted && this.opts.stopRequested?.()) {
      this.interrupted = true;
      this.ctx.emit({ kind: 'interrupted', msg: 'no new task starts; press Ctrl-C again to abort at once' });
    }
    return this.interrupted;
  }

  async run(): Promise<RunResult> {
    const started = Date.now();
    const { playbook } = this.opts;
    const emit = (e: RunEvent) => this.ctx.emit(e);
    emit({ kind: 'run-start', playbook: playbook.file, check: this.opts.check, diff: this.opts.diff });
    // A playbook that adds hosts or groups (add_host, group_by) may name them in later plays: such a
    // pattern is resolved when its play starts (and a play that still matches nothing is skipped, as Ansible's).
    const adds = addsToInventory(playbook.plays);
    const playHosts = playbook.plays.map((p) => resolvePlayHosts(this.opts, p, adds));
    if (this.opts.limit && playHosts.every((h) => h.length === 0)) {
      throw new InputError(`--limit '${this.opts.limit}' leaves no host to run on`);
    }
    try {
      // Every host's run lock first, in one go (not in check mode); the first batch reads its files meanwhile (runBatch).
      const firstPlay = new Map<string, Play>();
      playbook.plays.forEach((p, i) => playHosts[i].forEach((h) => firstPlay.has(h) || firstPlay.set(h, p)));
      this.locks = this.ctx.lockAll([...firstPlay.keys()], (h) => {
        const play = firstPlay.get(h)!;
        const hosts = playHosts[playbook.plays.indexOf(play)];
        return this.ctx.lookup(h, { play, batch: hosts, playHosts: hosts });
      });
      for (const [i, play] of playbook.plays.entries()) {
        if (this.stop()) break;
        if (this.ctx.inventoryEdits > 0) {
          try {
            playHosts[i] = resolvePlayHosts(this.opts, play);
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            emit({ kind: 'warning', msg: `play '${play.name}': ${e.message}` });
            playHosts[i] = [];
          }
        }
        const hosts = playHosts[i].filter((h) => !this.ctx.host(h).failed && !this.ctx.host(h).unreachable);
        emit({ kind: 'play-start', name: play.name, hosts });
        if (hosts.length === 0) {
          emit({ kind: 'warning', msg: `play '${play.name}': no hosts left to run on` });
          continue;
        }
        try {
          // serial is templated with the play's variables and -e, as Ansible does (not with host variables).
          const lookup = this.playLookup(play);
          const serial = play.serial?.map((x) => (typeof x === 'string' ? String(renderString(x, lookup)) : x));
          for (const batch of batchesOf(hosts, serial)) {
            if (this.stop()) break;
            await this.runBatch(play, batch, playHosts[i]);
          }
        } catch (e) {
          if (!(e instanceof PlayAborted)) throw e;
          emit({ kind: 'play-end', name: play.name });
          break;
        }
        emit({ kind: 'play-end', name: play.name });
      }
    } finally {
      await this.locks.catch(() => {});
      await this.ctx.closeAll();
    }
    const stats: Record<string, HostStats> = {};
    const commands: Record<string, number> = {};
    for (const [name, h] of this.ctx.hosts) {
      stats[name] = h.stats;
      commands[name] = h.conn?.commandsSent ?? 0;
    }
    emit({ kind: 'recap', stats, commands, durationMs: Date.now() - started });
    const all = Object.values(stats);
    const failed = all.some((s) => s.failed > 0);
    const unreachable = all.some((s) => s.unreachable > 0);
    const changed = all.reduce((n, s) => n + s.changed, 0);
    return { stats, commands, changed, failed, unreachable, interrupted: this.interrupted, internalErrors: this.internalErrors };
  }

  private active(batch: string[], only?: Set<string>): string[] {
    return batch.filter((h) => {
      const s = this.ctx.host(h);
      return !s.failed && !s.ended && !s.unreachable && !s.writes?.failure && (!only || only.has(h));
    });
  }

  private async runBatch(play: Play, batch: string[], playHosts: string[]): Promise<void> {
    for (const h of batch) this.ctx.host(h).ended = false;
    const base: Keywords[] = [{ tags: play.tags, become: play.become, becomeUser: play.becomeUser }];
    // No task starts before every lock is settled; reading needs no lock (a write checks that the file is still what was read).
    const gather = keywordBool(play.gatherFacts, this.playLookup(play));
    await Promise.all([
      this.locks,
      (async () => {
        if (gather) await this.gather(play, batch, playHosts);
        await this.prefetch(play, batch, playHosts);
      })(),
    ]);
    const sections: Node[][] = [play.preTasks, play.tasks, play.postTasks];
    try {
      for (const section of sections) {
        await this.runNodes(section, base, play, batch, playHosts);
        await this.flushHandlers(play, batch, playHosts);
        if (this.stop()) return;
      }
    } finally {
      // What the finished tasks queued goes to the hosts (also after a first Ctrl-C) before the play ends.
      await this.flushWrites();
    }
  }

  /**
   * Whether a task's writes may wait in the write-behind queue: not where
   * its own outcome must be known at once (ignore_errors, failed_when,
   * until, a rescue or always around it, run_once, handlers, failure limits,
   * delegation), never in check mode (nothing is written).
   */
  private mayDefer(task: TaskNode, frames: Keywords[], play: Play, handler: boolean): boolean {
    if (this.opts.writeBehind === false || this.opts.check || handler) return false;
    if (task.until || task.failedWhen || NOT_DEFERRED.has(task.module)) return false;
    if (play.anyErrorsFatal !== undefined || play.maxFailPercentage !== undefined) return false;
    for (const f of [...frames, task]) {
      if (f.ignoreErrors !== undefined || f.ignoreUnreachable !== undefined || f.delegateTo !== undefined || f.runOnce !== undefined || f.anyErrorsFatal !== undefined) return false;
      if ((f as Partial<BlockNode>).kind === 'block' && ((f as BlockNode).rescue.length > 0 || (f as BlockNode).always.length > 0)) return false;
    }
    return true;
  }

  /** Every host's write-behind queue. */
  private queues(): WriteBehind[] {
    return [...this.ctx.hosts.values()].flatMap((h) => (h.writes ? [h.writes] : []));
  }

  /** Sends every host's queued writes (one command per host, all at once), then releases what was held. */
  private async flushWrites(): Promise<void> {
    const queues = this.queues().filter((q) => q.pending);
    await Promise.all(queues.map((q) => q.flush().catch(() => {}))); // a failure is kept in q.failure
    await this.release();
  }

  /**
   * Reports what was held, in order, now that the writes are on the hosts:
   * a task whose write failed on a host fails there (its message, its
   * items), and what that host did after it in the meantime is dropped
   * (nothing of it reached the host: its writes were not sent).
   */
  private async release(): Promise<void> {
    const held = this.ctx.held;
    if (!held) return;
    if (this.queues().some((q) => q.pending)) return;
    this.ctx.held = undefined;
    // A file changed by someone else after it was read: that host's tasks from there on are planned again from fresh reads.
    const replan = new Map<string, WriteFailure>();
    for (const h of this.ctx.hosts.values()) {
      if (!h.writes?.failure?.stale) continue;
      replan.set(h.name, h.writes.failure);
      h.writes.clearStale();
      h.files?.forget();
    }
    const failure = (host: string) => this.ctx.host(host).writes?.failure;
    const dropped = (host: string, taskId: number) => (failure(host)?.taskId ?? Infinity) < taskId;
    for (const item of held) {
      if ('event' in item) {
        const e = item.event;
        if (e.kind === 'task-start') this.ctx.emitHeld({ ...e, hosts: e.hosts.filter((h) => !dropped(h, e.taskId)) });
        else if (e.kind !== 'task-retry' || !dropped(e.host, e.taskId)) this.ctx.emitHeld(e);
        continue;
      }
      const o = item.outcome;
      const stale = replan.get(o.host);
      if (stale && o.taskId >= stale.taskId) {
        this.ctx.host(o.host).failed = false;
        const again = await item.rerun();
        // Earlier items of the stale task were written: it changed the host.
        if (stale.partial && o.taskId === stale.taskId && again.status === 'ok') Object.assign(again, { status: 'changed', changed: true });
        if (!dropped(o.host, o.taskId)) item.settle(again);
        continue;
      }
      if (dropped(o.host, o.taskId)) continue;
      const f = failure(o.host);
      item.settle(f && o.taskId === f.taskId ? failedWrite(o, f) : o);
    }
  }

  private async gather(play: Play, batch: string[], playHosts: string[]): Promise<void> {
    const hosts = this.active(batch).filter((h) => !this.ctx.host(h).factsGathered);
    if (hosts.length === 0) return;
    await gatherOn(this.ctx, { play, batch, playHosts }, hosts, this.opts.forks, ++this.taskCounter);
  }

  /** Reads, in one command per host, every file the play's tasks will look at. */
  private async prefetch(play: Play, batch: string[], playHosts: string[]): Promise<void> {
    await prefetchFor(this.ctx, { play, batch, playHosts }, this.active(batch), this.opts.forks);
  }

  private async runNodes(nodes: Node[], frames: Keywords[], play: Play, batch: string[], playHosts: string[], only?: Set<string>): Promise<void> {
    for (const node of nodes) {
      if (this.stop()) return;
      if (this.active(batch, only).length === 0) return;
      if (node.kind === 'task' && node.module === 'meta') {
        await this.flushWrites();
        if (await this.runMeta(node, frames, play, batch, playHosts, only)) return;
      } else if (node.kind === 'task') await this.guarded(node, () => this.runTask(node, frames, play, batch, playHosts, only));
      else if (node.kind === 'block') await this.runBlock(node, frames, play, batch, playHosts, only);
      else await this.runInclude(node, frames, play, batch, playHosts, only);
    }
  }

  private async runInclude(node: IncludeNode, frames: Keywords[], play: Play, batch: string[], playHosts: string[], only?: Set<string>): Promise<void> {
    if (node.isStatic) return this.runNodes(node.tasks, [...frames, node], play, batch, playHosts, only);
    // include_tasks: its own tags select the include; they do not pass to the included tasks.
    const effective = [...frames.flatMap((f) => f.tags ?? []), ...(node.tags ?? [])];
    if (!selected(effective, this.opts.tags)) return;
    const { tags: _t, when, ...rest } = node;
    return this.runDynamicInclude(node, when ?? [], frames, rest, play, batch, playHosts, only);
  }

  /**
   * include_tasks as Ansible's linear strategy runs it: decided per host at
   * include time (its `when`, per item of its loop, with the loop variables;
   * not passed on to the included tasks), then the file's tasks run once per
   * distinct inclusion (the same item on several hosts: once, together), in
   * the order the hosts' inclusions came, each host with its loop variables.
   */
  private async runDynamicInclude(node: IncludeNode, when: unknown[], frames: Keywords[], own: Keywords, play: Play, batch: string[], playHosts: string[], only?: Set<string>): Promise<void> {
    const hostvars = this.ctx.hostvars(play, batch, playHosts);
    const at = { play, batch, playHosts, hostvars };
    const inclusions: { key: string; vars: Vars | undefined; hosts: string[] }[] = [];
    const failures = new Map<string, string>();
    for (const h of this.active(batch, only)) {
      try {
        const lookup = this.ctx.lookup(h, at, [...frames, own]);
        const lc = namedLoopControl(node.loopControl, lookup);
        const list = node.loop === undefined ? [undefined] : loopItems(node, lookup);
        for (let index = 0; index < list.length; index++) {
          let vars: Vars | undefined;
          if (node.loop !== undefined) {
            const extended = lc?.extended !== undefined && toBool(renderString(String(lc.extended), lookup));
            const allItems = lc?.extendedAllitems === undefined || toBool(renderString(String(lc.extendedAllitems), lookup));
            vars = loopVarsOf(lc, list, index, extended, allItems);
          }
          const itemLookup = vars ? this.ctx.lookup(h, at, [...frames, { ...own, hostVars: new Map([[h, vars]]) }]) : lookup;
          if (!when.every((c) => condition(c, itemLookup))) continue;
          // The same inclusion (same loop variables) for several hosts runs once for them all; a host's second one is another.
          const key = JSON.stringify(vars ?? null);
          const same = inclusions.find((inc) => inc.key === key && !inc.hosts.includes(h));
          if (same) same.hosts.push(h);
          else inclusions.push({ key, vars, hosts: [h] });
        }
      } catch (e) {
        if (!(e instanceof TemplateError || e instanceof InputError)) throw e;
        failures.set(h, messageOf(e));
      }
    }
    if (failures.size) this.failHosts(`include_tasks ${node.file.replace(/^.*\//, '')}`, node.location, failures);
    for (const inc of inclusions) {
      if (this.stop()) return;
      const hosts = new Set(inc.hosts);
      if (this.active(batch, hosts).length === 0) continue;
      const frame: Keywords = inc.vars ? { ...own, hostVars: new Map(inc.hosts.map((h) => [h, inc.vars!])) } : own;
      await this.runNodes(node.tasks, [...frames, frame], play, batch, playHosts, hosts);
    }
  }

  /** A step that is not a task (a looped include's items) failed on these hosts: reported as a failed task. */
  private failHosts(title: string, location: Location, failures: Map<string, string>): void {
    const id = ++this.taskCounter;
    this.ctx.emit({ kind: 'task-start', taskId: id, name: title, hosts: [...failures.keys()], handler: false, location });
    for (const [host, msg] of failures) {
      const s = this.ctx.host(host);
      s.failed = true;
      s.stats.failed++;
      this.emitResult({ host, task: title, taskId: id, status: 'failed', changed: false, msg, diff: [], durationMs: 0, location, result: { failed: true, changed: false, msg } });
    }
    this.ctx.emit({ kind: 'task-end', taskId: id });
  }

  private async runBlock(node: BlockNode, frames: Keywords[], play: Play, batch: string[], playHosts: string[], only?: Set<string>): Promise<void> {
    const inner = [...frames, node];
    // rescue and always start from what really happened on the hosts.
    const guarded = node.rescue.length > 0 || node.always.length > 0;
    if (guarded) await this.flushWrites();
    const entered = this.active(batch, only);
    await this.runNodes(node.block, inner, play, batch, playHosts, new Set(entered));
    if (guarded) await this.flushWrites();
    const failedHere = entered.filter((h) => this.ctx.host(h).failed && !this.ctx.host(h).unreachable);
    if (node.rescue.length && failedHere.length) {
      for (const h of failedHere) {
        const s = this.ctx.host(h);
        s.failed = false;
        s.stats.failed--;
        s.stats.rescued++;
        // In a rescue, what failed: Ansible's ansible_failed_task and ansible_failed_result.
        if (s.lastFailure) {
          setRaw(s.facts, 'ansible_failed_task', s.lastFailure.task);
          setRaw(s.facts, 'ansible_failed_result', s.lastFailure.result);
        }
      }
      await this.runNodes(node.rescue, inner, play, batch, playHosts, new Set(failedHere));
    }
    if (node.always.length) {
      const stillFailed = entered.filter((h) => this.ctx.host(h).failed && !this.ctx.host(h).unreachable);
      for (const h of stillFailed) this.ctx.host(h).failed = false;
      await this.runNodes(node.always, inner, play, batch, playHosts, new Set(entered));
      for (const h of stillFailed) this.ctx.host(h).failed = true;
    }
  }

  /** Variables for play-level keywords (gather_facts, hosts): extra vars, the play's vars and vars_files. */
  private playLookup(play: Play): Lookup {
    return scope([this.opts.extraVars, play.vars, play.varsFilesVars], this.opts.redactor);
  }

  /** An error that escapes a task's own handling is a bug: it names the task. */
  private async guarded(task: TaskNode, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (isFleetError(e) || e instanceof PlayAborted) throw e;
      throw new InternalError(messageOf(e), { task: taskTitle(task), location: task.location, cause: e });
    }
  }

  private emitResult(o: TaskOutcome): void {
    if (o.internal) this.internalErrors++;
    this.ctx.emit({ kind: 'task-result', ...o });
  }

  private async runTask(task: TaskNode, frames: Keywords[], play: Play, batch: string[], playHosts: string[], only?: Set<string>, handler = false): Promise<void> {
    const tags = [...frames.flatMap((f) => f.tags ?? []), ...(task.tags ?? [])];
    if (!handler && !selected(tags, this.opts.tags)) return;
    const deferWrites = this.mayDefer(task, frames, play, handler);
    // Before a task that writes at once, the queued writes go first (they may also fail a host).
    if (!deferWrites) await this.flushWrites();
    const hosts = this.active(batch, only);
    if (hosts.length === 0) return;
    const id = ++this.taskCounter;
    const hostvars = this.ctx.hostvars(play, batch, playHosts);
    const env = { ctx: this.ctx, play, batch, playHosts, hostvars, frames, taskId: id, handler, deferWrites };
    const runner = new TaskRunner(env, task);
    const runOnce = Boolean(task.mod.once) || boolKeyword([...frames, task], 'runOnce', runner.lookup(hosts[0]), false);
    let title = taskTitle(task);
    try {
      title = String(renderString(title, runner.lookup(hosts[0])));
    } catch {
      // A name that cannot be rendered yet is shown as written (as Ansible does).
    }
    this.ctx.emit({ kind: 'task-start', taskId: id, name: title, hosts: runOnce ? hosts.slice(0, 1) : hosts, handler, location: task.location });
    injectFault('engine');
    const outcomes = new Map<string, TaskOutcome>();
    await forEachLimited(runOnce ? hosts.slice(0, 1) : hosts, this.opts.forks, async (h) => {
      const o = await runner.run(h);
      outcomes.set(h, o);
      const queue = this.ctx.host(h).writes;
      if (queue?.pending || queue?.failure) this.ctx.held ??= [];
      if (!this.ctx.held) return this.tally(task, frames, o, runner);
      // Held until its writes (and the earlier ones) are on the host; a failure stops the host now.
      if (o.status === 'failed') this.ctx.host(h).failed = true;
      this.ctx.held.push({
        outcome: o,
        settle: (final) => this.tally(task, frames, final, runner),
        // Planned again from fresh reads, writing at once (after a stale write).
        rerun: () => new TaskRunner({ ...env, deferWrites: false }, task).run(h),
      });
    });
    if (runOnce) {
      const first = outcomes.get(hosts[0])!;
      for (const h of hosts.slice(1)) {
        if (task.register) setRaw(this.ctx.host(h).facts, task.register, this.ctx.host(hosts[0]).facts[task.register]);
        if (first.changed) for (const n of task.notify ?? []) this.ctx.host(h).notified.add(n);
        if (first.status === 'failed' && !first.ignored) {
          this.ctx.host(h).failed = true;
        }
      }
    }
    this.ctx.emit({ kind: 'task-end', taskId: id });
    // A write failed on a host (found by a later read): settle it now. Else, the writes may have gone along the way.
    if (this.queues().some((q) => q.failure)) await this.flushWrites();
    else await this.release();
    this.checkFailureLimits(play, batch, task, frames, runner);
  }

  /** Counts a task's outcome on a host in its stats, notifies handlers, and reports it. */
  private tally(task: TaskNode, frames: Keywords[], o: TaskOutcome, runner: TaskRunner): void {
    const s = this.ctx.host(o.host);
    if (o.status === 'unreachable') {
      let ignoreUnreachable = false;
      try {
        ignoreUnreachable = boolKeyword([...frames, task], 'ignoreUnreachable', runner.lookup(o.host), false);
      } catch {
        // not ignored
      }
      if (ignoreUnreachable) {
        // ignore_unreachable: the task is counted as ignored and the host goes on (Ansible's).
        o.ignored = true;
        s.stats.ignored++;
        this.emitResult(o);
        return;
      }
      this.ctx.markUnreachable(o.host, o.msg);
      this.emitResult(o);
      return;
    }
    let ignore = false;
    try {
      ignore = o.status === 'failed' && boolKeyword([...frames, task], 'ignoreErrors', runner.lookup(o.host), false);
    } catch (e) {
      o.msg = `${o.msg}; and ignore_errors could not be rendered: ${messageOf(e)}`;
    }
    if (o.status === 'failed') {
      if (ignore) {
        o.ignored = true;
        s.stats.ignored++;
      } else {
        s.failed = true;
        s.stats.failed++;
        s.lastFailure = {
          task: { name: task.name ?? o.task, action: task.module, args: task.args, ...(task.register ? { register: task.register } : {}) },
          result: { ...(o.result ?? {}), msg: o.result?.msg ?? o.msg, failed: true, changed: false },
        };
      }
    } else if (o.status === 'skipped') s.stats.skipped++;
    else {
      s.stats.ok++;
      if (o.changed) s.stats.changed++;
    }
    if (o.changed && o.status !== 'failed') for (const n of task.notify ?? []) s.notified.add(n);
    this.emitResult(o);
  }

  private checkFailureLimits(play: Play, batch: string[], task: TaskNode, frames: Keywords[], runner: TaskRunner): void {
    const failedNow = batch.filter((h) => this.ctx.host(h).failed || this.ctx.host(h).unreachable);
    if (failedNow.length === 0) return;
    const fatal = boolKeyword([{ anyErrorsFatal: play.anyErrorsFatal }, ...frames, task], 'anyErrorsFatal', runner.lookup(failedNow[0]), false);
    if (fatal) {
      for (const h of batch) this.ctx.host(h).failed = true;
      this.ctx.emit({ kind: 'warning', msg: `any_errors_fatal: '${taskTitle(task)}' failed on ${failedNow.join(', ')}; stopping the play` });
      throw new PlayAborted();
    }
    if (play.maxFailPercentage !== undefined && (failedNow.length / batch.length) * 100 > play.maxFailPercentage) {
      this.ctx.emit({ kind: 'warning', msg: `max_fail_percentage ${play.maxFailPercentage}% exceeded (${failedNow.length} of ${batch.length} hosts failed); stopping the play` });
      throw new PlayAborted();
    }
  }

  /** Runs the handlers notified on the batch's hosts (or on `only` of them) and forgets their notifications. */
  private async flushHandlers(play: Play, batch: string[], playHosts: string[], only?: Set<string>): Promise<void> {
    await this.flushWrites();
    const of = only ? batch.filter((h) => only.has(h)) : batch;
    for (const handler of play.handlers) {
      const names = [handler.name, ...(handler.listen ?? [])].filter((n): n is string => n !== undefined);
      const hosts = this.active(of).filter((h) => names.some((n) => this.ctx.host(h).notified.has(n)));
      if (hosts.length === 0) continue;
      await this.runTask(handler, [{ tags: play.tags, become: play.become, becomeUser: play.becomeUser }], play, batch, playHosts, new Set(hosts), true);
    }
    for (const h of of) this.ctx.host(h).notified.clear();
  }

  /**
   * `meta:` actions; returns true when the rest of the task list must not run. Their `when` is
   * Ansible's (_execute_meta): end_host and flush_handlers look at each host, end_play at the
   * first one; noop ignores it. A condition that cannot be evaluated fails that host.
   */
  private async runMeta(task: TaskNode, frames: Keywords[], play: Play, batch: string[], playHosts: string[], only?: Set<string>): Promise<boolean> {
    const action = String(task.args._raw_params);
    const tags = [...frames.flatMap((f) => f.tags ?? []), ...(task.tags ?? [])];
    const conditions = [...frames, task].flatMap((f) => f.when ?? []);
    const hosts = this.active(batch, only);
    let holding = hosts;
    if (conditions.length && action !== 'noop') {
      const runner = new TaskRunner({ ctx: this.ctx, play, batch, playHosts, hostvars: this.ctx.hostvars(play, batch, playHosts), frames, taskId: this.taskCounter, handler: false, deferWrites: false }, task);
      holding = [];
      for (const h of action === 'end_play' ? hosts.slice(0, 1) : hosts) {
        try {
          if (conditions.every((c) => condition(c, runner.lookup(h)))) holding.push(h);
        } catch (e) {
          this.ctx.host(h).failed = true;
          this.ctx.emit({ kind: 'warning', msg: `${h}: meta: ${action} (${taskTitle(task)}): the conditional check failed: ${messageOf(e)}` });
        }
      }
    }
    if (action === 'flush_handlers') {
      if (holding.length) await this.flushHandlers(play, batch, playHosts, new Set(holding));
      return false;
    }
    if (!selected(tags, this.opts.tags) || action === 'noop') return false;
    if (action === 'end_play') {
      if (holding.length) throw new PlayAborted();
      return false;
    }
    // end_host: the hosts reaching it leave the play here, without failing (the next play has them again).
    for (const h of holding) this.ctx.host(h).ended = true;
    return this.active(batch, only).length === 0;
  }
}
