/**
 * One task on one host: conditions, loop, templated arguments, the module's
 * plan, the applier (never in check mode), changed_when/failed_when, register.
 */
import { parseEnv } from './facts.ts';
import { StaleWrite, type Become, type Connection } from '../connection/types.ts';
import { InputError, isBug, isResourceLimit, messageOf } from '../errors.ts';
import type { Vars } from '../inventory/model.ts';
import type { FileDiff, ModuleContext, ModuleDef, Plan } from '../modules/types.ts';
import type { ItemOutcome, Status, TaskOutcome } from '../events/events.ts';
import { NO_LOG_MESSAGE, SECRET_NAME } from '../events/redact.ts';
import { checkArgs, normalizeArgs } from '../playbook/args.ts';
import type { Keywords, LoopControl, Play, TaskNode } from '../playbook/types.ts';
import { condition, isTemplate, queryLookup, renderDeep, renderString, TemplateError, type Lookup } from '../template/templar.ts';
import { unsafeReads } from '../template/nunjucks-env.ts';
import { toBool } from '../template/filters.ts';
import { injectFault } from '../util/fault.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { applyChanges, queueWrites, stageChanges } from './apply.ts';
import { moduleContext, type ModuleTarget } from './module-context.ts';
import { becomeFor, boolKeyword, inherited, keywordBool } from './keywords.ts';
import { OMIT, Unreachable, type RunContext } from './context.ts';
import { setRaw, setTemplated } from './vars.ts';

export interface TaskEnv {
  ctx: RunContext;
  play: Play;
  batch: string[];
  playHosts: string[];
  hostvars: Record<string, unknown>;
  /** Keyword frames from the play down to the task's parents. */
  frames: Keywords[];
  taskId: number;
  handler: boolean;
  /** This task's file writes may wait in the host's write-behind queue (see write-behind.ts). */
  deferWrites?: boolean;
}


export function taskTitle(task: TaskNode): string {
  return task.name ?? `${task.module}${task.args.path || task.args.dest ? ' ' + String(task.args.path ?? task.args.dest) : ''}`;
}

interface ItemResult {
  status: Status;
  changed: boolean;
  msg: string;
  diff: FileDiff[];
  result: Record<string, unknown>;
  label?: string;
}

export class TaskRunner {
  /** The loop item being run on each host (-1: no loop), for the writes it queues. */
  private readonly items = new Map<string, number>();
  /** The attempt of an `until` task running on each host. */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly env: TaskEnv, private readonly task: TaskNode) {}

  /** The facts a set_fact on each host made from unsafe values (lookups, registered results, with_ items): kept as they are. */
  private readonly unsafeFacts = new Map<string, Set<string>>();

  /** set_fact's arguments rendered one by one, noting those whose value read an unsafe value (Ansible's taint). */
  private renderFacts(host: string, args: Record<string, unknown>, lookup: Lookup): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const unsafe = new Set<string>();
    for (const [k, v] of Object.entries(args)) {
      const name = isTemplate(k) ? String(renderString(k, lookup)) : k;
      const before = unsafeReads.count;
      out[name] = renderDeep(v, lookup);
      if (unsafeReads.count !== before) unsafe.add(name);
    }
    this.unsafeFacts.set(host, unsafe);
    return out;
  }

  lookup(host: string, loopVars?: Vars, unsafeVar?: string): Lookup {
    // ansible_search_path: where relative paths of this task are looked for (its role, then its file's folder), as Ansible's.
    const searchPath = [...new Set([...(this.task.roleDir ? [this.task.roleDir] : []), this.task.location.file.replace(/\/[^/]*$/, '')])];
    const layer: Vars = { ansible_search_path: searchPath, ...loopVars };
    if (unsafeVar !== undefined) setRaw(layer, unsafeVar, layer[unsafeVar]);
    return this.env.ctx.lookup(host, this.env, [...this.env.frames, this.task], layer);
  }

  async run(host: string): Promise<TaskOutcome> {
    const started = Date.now();
    const task = this.task;
    const frames = [...this.env.frames, task];
    const lookup = this.lookup(host);
    let title = taskTitle(task);
    try {
      title = String(renderString(title, lookup));
    } catch {
      // shown as written
    }
    const base: Omit<TaskOutcome, 'status' | 'changed' | 'msg' | 'diff'> = {
      host, task: title, taskId: this.env.taskId, durationMs: 0, location: task.location, handler: this.env.handler,
    };
    let noLog = false;
    try {
      noLog = boolKeyword(frames, 'noLog', lookup, false);
      injectFault('task');
      const outcome = await this.runLooped(host, frames, lookup);
      if (this.env.ctx.opts.redactor && noLog) {
        outcome.msg = NO_LOG_MESSAGE;
        outcome.diff = outcome.diff.map((d) => ({ path: d.path, before: '', after: '', note: 'diff hidden: no_log' }));
        outcome.result = { censored: NO_LOG_MESSAGE };
        outcome.items = outcome.items?.map((i) => ({ ...i, label: '(censored)', msg: NO_LOG_MESSAGE }));
      }
      return { ...base, ...outcome, durationMs: Date.now() - started };
    } catch (e) {
      if (e instanceof Unreachable) {
        return { ...base, status: 'unreachable', changed: false, msg: e.message, diff: [], durationMs: Date.now() - started };
      }
      const internal = isBug(e);
      if (internal && process.env.JITSI_FLEET_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
      const msg = describeFailure(e, task);
      // The result (registered, ansible_failed_result) has Ansible's message; where it happened is shown beside it.
      const result = { failed: true, changed: false, msg: noLog ? NO_LOG_MESSAGE : e instanceof TemplateError ? e.message : msg };
      // A task that failed before its module ran (a template error) is registered too, as Ansible's.
      if (this.task.register && !internal) setRaw(this.env.ctx.host(host).facts, this.task.register, result);
      return { ...base, status: 'failed', changed: false, msg: noLog ? NO_LOG_MESSAGE : msg, diff: [], durationMs: Date.now() - started, ...(internal ? {} : { result }), ...(internal ? { internal: true } : {}) };
    }
  }

  /** The task skipped on the host by its `when` (registered as such). */
  private skippedOn(host: string): Omit<TaskOutcome, 'host' | 'task' | 'taskId' | 'durationMs'> {
    const result = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
    if (this.task.register) setRaw(this.env.ctx.host(host).facts, this.task.register, result);
    return { status: 'skipped', changed: false, msg: 'conditional result was false', diff: [], result };
  }

  private async runLooped(host: string, frames: Keywords[], lookup: Lookup): Promise<Omit<TaskOutcome, 'host' | 'task' | 'taskId' | 'durationMs'>> {
    const task = this.task;
    const state = this.env.ctx.host(host);
    if (task.loop === undefined) {
      if (!this.whenHolds(frames, lookup)) return this.skippedOn(host);
      const r = await this.untilHolds(host, frames, lookup, title(task, lookup));
      if (task.register) setRaw(state.facts, task.register, r.result);
      return { status: r.status, changed: r.changed, msg: r.msg, diff: r.diff, result: r.result };
    }
    let items: unknown[];
    try {
      items = loopItems(task, lookup);
    } catch (e) {
      // A loop that cannot be made (an undefined variable) under a `when` that is false without it: skipped, as Ansible's.
      let skip = false;
      try {
        skip = e instanceof TemplateError && e.variable !== undefined && !this.whenHolds(frames, lookup);
      } catch {
        // the condition needs the item: the loop's error stands
      }
      if (!skip) throw e;
      return this.skippedOn(host);
    }
    const lc = namedLoopControl(task.loopControl, lookup);
    const loopVar = lc?.loopVar ?? 'item';
    const results: Record<string, unknown>[] = [];
    const outcomes: ItemOutcome[] = [];
    const diffs: FileDiff[] = [];
    let changed = false;
    let failed = false;
    let ran = false;
    const extended = lc?.extended !== undefined && toBool(renderString(String(lc.extended), lookup));
    const allItems = lc?.extendedAllitems === undefined || toBool(renderString(String(lc.extendedAllitems), lookup));
    const pause = lc?.pause === undefined ? 0 : Number(renderString(String(lc.pause), lookup));
    if (!Number.isFinite(pause) || pause < 0) throw new InputError(`loop_control.pause must be a number of seconds, got '${lc?.pause}'`, { location: task.location });
    const list = items as unknown[];
    for (const [index, item] of list.entries()) {
      if (index > 0 && pause > 0) await this.env.ctx.sleep(pause * 1000);
      this.items.set(host, index);
      const loopVars = loopVarsOf(lc, list, index, extended, allItems);
      // A with_<lookup> item is a lookup's result, unsafe as Ansible marks it: never templated again.
      const itemLookup = this.lookup(host, loopVars, task.loopKind && task.loopKind !== 'loop' ? loopVar : undefined);
      const label = lc?.label !== undefined ? String(renderString(lc.label, itemLookup)) : typeof item === 'string' ? item : JSON.stringify(item);
      if (!this.whenHolds(frames, itemLookup)) {
        results.push({ changed: false, skipped: true, skip_reason: 'Conditional result was False', [loopVar]: item, ansible_loop_var: loopVar });
        outcomes.push({ label, status: 'skipped', msg: 'conditional result was false' });
        continue;
      }
      ran = true;
      const r = await this.untilHolds(host, frames, itemLookup, `${title(task, lookup)} (${label})`);
      results.push({ ...r.result, [loopVar]: item, ansible_loop_var: loopVar });
      outcomes.push({ label, status: r.status, msg: r.msg });
      diffs.push(...r.diff);
      changed ||= r.changed;
      failed ||= r.status === 'failed';
    }
    const allSkipped = !ran;
    const result: Record<string, unknown> = { results, changed, failed, msg: failed ? 'One or more items failed' : 'All items completed', skipped: allSkipped };
    if (task.register) setRaw(state.facts, task.register, result);
    const status: Status = failed ? 'failed' : allSkipped ? 'skipped' : changed ? 'changed' : 'ok';
    return { status, changed, msg: String(result.msg), diff: diffs, items: outcomes, result };
  }

  private whenHolds(frames: Keywords[], lookup: Lookup): boolean {
    for (const f of frames) for (const c of f.when ?? []) if (!condition(c, lookup)) return false;
    return true;
  }

  /** Resolves become for this task: keyword, then ansible_become* variables. */
  private become(frames: Keywords[], lookup: Lookup): Become | undefined {
    const become = becomeFor(frames, this.env.play, lookup);
    if (become?.password !== undefined) this.env.ctx.opts.redactor.add(become.password);
    return become;
  }


  /**
   * until/retries/delay as Ansible runs them: the task again (planned
   * afresh) until its conditions hold on the result (registered under the
   * task's register name), at most retries + 1 times (default 3 in all),
   * `delay` seconds apart (default 5); then it fails. Each retry is shown.
   */
  private async untilHolds(host: string, frames: Keywords[], lookup: Lookup, shownAs: string): Promise<ItemResult> {
    const until = this.task.until;
    if (!until) return this.runItem(host, frames, lookup);
    const num = (v: number | string | undefined, dflt: number, what: string) => {
      if (v === undefined) return dflt;
      const n = Number(typeof v === 'string' ? renderString(v, lookup) : v);
      if (!Number.isFinite(n)) throw new InputError(`${what} must be a number, got '${v}'`, { location: this.task.location });
      return n;
    };
    const retries = num(until.retries, 3, 'retries');
    // Ansible's: the first run and `retries` more (3 by default, the task attribute's default).
    const attempts = retries <= 0 ? 1 : Math.floor(retries) + 1;
    const delay = Math.max(0, num(until.delay, 5, 'delay'));
    for (let attempt = 1; ; attempt++) {
      this.attempts.set(host, attempt);
      const r = await this.runItem(host, frames, lookup);
      r.result.attempts = attempt;
      const reg = this.task.register;
      const condLookup: Lookup = (name) => (reg !== undefined && name === reg ? r.result : lookup(name));
      if (until.conditions.every((c) => condition(c, condLookup))) return r;
      if (attempt >= attempts || this.env.ctx.opts.stopRequested?.()) {
        r.result.failed = true;
        // Ansible 2.14 reports the retries as the attempts once they run out (retries - 1 of its count).
        if (attempt > 1) r.result.attempts = attempt - 1;
        return { ...r, status: 'failed', changed: false, msg: `${r.status === 'failed' ? r.msg + '; ' : ''}the until condition did not hold after ${attempt} attempt${attempt === 1 ? '' : 's'}` };
      }
      this.env.ctx.emit({ kind: 'task-retry', host, taskId: this.env.taskId, task: shownAs, attempt, attempts, delay, msg: this.untilValues(until.conditions, condLookup) || r.msg });
      await this.env.ctx.sleep(delay * 1000);
    }
  }

  /**
   * What the until conditions looked at, for the retry line: each value of
   * the registered result they name (`stats.json.participants=3`).
   */
  private untilValues(conditions: unknown[], lookup: Lookup): string {
    const reg = this.task.register;
    if (!reg) return '';
    const shown = new Set<string>();
    for (const c of conditions) {
      for (const m of String(c).matchAll(new RegExp(`\\b${reg}(?:\\.[A-Za-z_]\\w*)+`, 'g'))) shown.add(m[0]);
    }
    const parts: string[] = [];
    for (const expr of shown) {
      try {
        const v = renderString(`{{ ${expr} }}`, lookup);
        if (v !== undefined && v !== null && typeof v !== 'object') parts.push(`${expr}=${String(v)}`);
      } catch {
        // not there in this result
      }
    }
    return parts.join(', ');
  }

  /**
   * Delegated tasks run one at a time per target host: several hosts editing
   * the same file on the delegate (e.g. adding their line to a list on the
   * main server) must each see the others' edits.
   */
  /**
   * `environment` of the play, blocks, includes and the task, merged (the inner wins), as the
   * `export` lines that go before the commands the task runs. Other modules' work is not affected.
   */
  private environment(frames: Keywords[], lookup: Lookup): string {
    const layers = [this.env.play.environment, ...frames.map((f) => f.environment)].filter((e) => e !== undefined);
    if (layers.length === 0) return '';
    const merged: Record<string, unknown> = {};
    for (const layer of layers) {
      const v = renderDeep(layer, lookup);
      if (v === null || v === undefined || v === '') continue;
      if (typeof v !== 'object' || Array.isArray(v)) throw new InputError(`environment must be a mapping of variable names to values, got ${JSON.stringify(v).slice(0, 80)}`, { location: this.task.location });
      Object.assign(merged, v);
    }
    const lines = Object.entries(merged).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`environment: '${k}' is not a variable name`, { location: this.task.location });
      return `export ${k}=${shellQuote(v === true ? 'True' : v === false ? 'False' : v === null ? '' : String(v))}; `;
    });
    return lines.join('');
  }

  private async runItem(host: string, frames: Keywords[], lookup: Lookup): Promise<ItemResult> {
    if (this.task.argsError) return { status: 'failed', changed: false, msg: this.task.argsError, diff: [], result: { failed: true, changed: false, msg: this.task.argsError } };
    const delegate = inherited(frames, 'delegateTo');
    if (delegate === undefined) return this.replanIfStale(host, frames, lookup);
    const target = String(renderString(String(delegate), lookup));
    return this.env.ctx.exclusive(target, () => this.replanIfStale(host, frames, lookup));
  }

  /**
   * A write is refused when its file changed on the host after the plan was
   * made (another run, a person): nothing was written, so read and plan again.
   */
  private async replanIfStale(host: string, frames: Keywords[], lookup: Lookup): Promise<ItemResult> {
    const tries = 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.execute(host, frames, lookup);
      } catch (e) {
        if (!(e instanceof StaleWrite)) throw e;
        if (attempt >= tries) throw new Error(`${e.message}; planned again ${tries - 1} times and it kept changing: is another run or a person editing it? Nothing was written`);
      }
    }
  }

  /** The module a templated `action:` names on this host. */
  private resolvedModule(lookup: Lookup): ModuleDef {
    const name = String(renderString(this.task.module, lookup)).trim();
    const mod = this.task.resolveModule!(name);
    if (!mod) throw new InputError(`action '${this.task.module}' names '${name}': ${this.task.refusedModule?.(name) ?? 'no module jitsi-fleet has by that name'}`, { location: this.task.location });
    return mod;
  }

  private async execute(host: string, frames: Keywords[], lookup: Lookup): Promise<ItemResult> {
    const task = this.task;
    const mod = task.resolveModule ? this.resolvedModule(lookup) : task.mod;
    const opts = this.env.ctx.opts;
    const play = this.env.play;
    const check = boolKeyword(frames, 'checkMode', lookup, play.checkMode === undefined ? opts.check : keywordBool(play.checkMode, lookup));
    const diff = boolKeyword(frames, 'diff', lookup, play.diff === undefined ? opts.diff : keywordBool(play.diff, lookup));
    const rendered = mod.name === 'set_fact' ? this.renderFacts(host, task.args, lookup) : (renderDeep(task.args, lookup) as Record<string, unknown>);
    for (const [k, v] of Object.entries(rendered)) if (v === OMIT) delete rendered[k];
    const args = normalizeArgs(mod, rendered);
    try {
      checkArgs(mod, args, { templated: true, location: task.argsLocation });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${e.message} (after templating)`, { location: task.argsLocation, hint: e.hint });
      throw e;
    }
    const delegate = inherited(frames, 'delegateTo');
    const target = delegate !== undefined ? String(renderString(String(delegate), lookup)) : host;
    const become = this.become(frames, lookup);
    // Prefixed to the plan's commands below, and to those an action plugin sends while it plans.
    const environment = this.environment(frames, lookup);
    let plan: Plan;
    let mctx: ModuleContext | undefined;
    if (mod.controller) {
      plan = await mod.plan(args, this.moduleContext(host, check, diff, become, lookup, undefined));
    } else {
      const targetLookup = target === host ? lookup : this.lookup(target);
      const { conn, files, queue } = await this.env.ctx.connection(target, targetLookup);
      await expandHostPaths(mod, args, conn, become, this.env.ctx.host(target));
      if (queue) queue.current = this.env.taskId;
      mctx = this.moduleContext(host, check, diff, become, lookup, { conn, files }, environment);
      try {
        plan = await mod.plan(args, mctx);
        // What it did on the host is not what was read before (in check mode it changed nothing).
        if (plan.ran && !check) files.forget();
      } catch (e) {
        if (isConnectionLoss(e)) {
          this.env.ctx.markUnreachable(target, messageOf(e));
          throw new Unreachable(messageOf(e));
        }
        throw e;
      }
    }
    for (const s of plan.secrets ?? []) opts.redactor.add(s);
    if (environment && !plan.failed && !plan.skipped) plan = { ...plan, changes: plan.changes.map((c) => (c.kind === 'exec' ? { ...c, command: `${environment}${c.command}` } : c)) };
    if (task.async !== undefined && !plan.failed && !plan.skipped) plan = asyncPlan(plan, task, lookup);
    // Check mode: what an earlier, unpredictable task (a package install) would create is not there yet.
    const unsure = mctx ? this.env.ctx.host(target).files?.unsureSince : undefined;
    if (plan.pending && check && unsure) {
      plan = {
        changes: [],
        msg: `would ${plan.pending.action} once the earlier task '${unsure}' has run: ${plan.pending.missing} yet (its effect is not known in check mode)`,
        predicted: true,
      };
    }
    let changed = plan.changes.length > 0 || Boolean(plan.predicted) || Boolean(plan.ran?.changed);
    let msg = plan.msg;
    let failed = Boolean(plan.failed);
    let result: Record<string, unknown> = { ...(plan.result ?? {}) };
    if (plan.skipped) {
      changed = false;
      result.skipped = true;
    } else if (!failed && changed && !plan.ran) {
      const targetLookup = target === host ? lookup : this.lookup(target);
      const { conn, files, queue } = await this.env.ctx.connection(target, targetLookup);
      if (check) {
        await stageChanges(files, plan.changes, become);
        // A command not run in check mode: what it would create cannot be known from here on.
        if (plan.changes.some((c) => c.kind === 'exec')) files.unsureSince = taskTitle(task);
      } else {
        try {
          await this.env.ctx.writable(target);
          // Not on the controller itself: a lookup (file, fileglob...) in the next task must see the file.
          if (this.env.deferWrites && target === host && queue && !conn.onController && !plan.finish && plan.changes.every((c) => c.kind === 'write' && !c.backup)) {
            // Sent with the writes of the next tasks; the engine holds this outcome until they are on the host.
            await queueWrites(queue, files, plan.changes, become, { taskId: this.env.taskId, item: this.items.get(host) ?? -1 });
            return this.settle(host, lookup, plan, diff, { changed, msg, failed, result, status: undefined });
          }
          const applied = await applyChanges(conn, files, plan.changes, become);
          if (applied.backupFile) {
            if ('backup' in result) result.backup = applied.backupFile;
            else result.backup_file = applied.backupFile;
          }
          if (plan.finish) {
            const fin = plan.finish(applied.outcomes);
            failed = Boolean(fin.failed);
            if (fin.changed !== undefined) changed = fin.changed;
            if (fin.msg !== undefined) msg = fin.msg;
            // What the change did, known only once it ran (a Python module's own diff).
            if (fin.diff) plan = { ...plan, diff: fin.diff };
            result = { ...result, ...(fin.result ?? {}) };
          }
        } catch (e) {
          if (isConnectionLoss(e)) {
            this.env.ctx.markUnreachable(target, messageOf(e));
            throw new Unreachable(messageOf(e));
          }
          if (e instanceof StaleWrite) {
            files.forget();
            throw e;
          }
          // A failed write or command: nothing the plan promised happened.
          failed = true;
          changed = false;
          msg = messageOf(e);
        }
      }
    }
    return this.settle(host, lookup, plan, diff, { changed, msg, failed, result, status: plan.skipped ? 'skipped' : undefined });
  }

  /** The end of execute: secrets, facts, changed_when/failed_when, the item's result. */
  private settle(host: string, lookup: Lookup, plan: Plan, diff: boolean, r: { changed: boolean; msg: string; failed: boolean; result: Record<string, unknown>; status: Status | undefined }): ItemResult {
    const task = this.task;
    const opts = this.env.ctx.opts;
    let { changed, msg, failed, result, status } = r;
    // Values under secret-looking names (set_fact jvb_secret, register admin_password) are secrets from now on.
    opts.redactor.addByName(result);
    if (task.register && SECRET_NAME.test(task.register)) {
      for (const k of ['stdout', 'stdout_lines', 'stderr', 'content', 'value']) opts.redactor.add(result[k]);
    }
    const facts = result.ansible_facts as Vars | undefined;
    if (facts && !failed) {
      const state = this.env.ctx.host(host);
      const action = task.module.replace(/^ansible\.(builtin|legacy)\./, '');
      // set_fact's and include_vars' values are templated when used, but what set_fact made of unsafe values; a module's never.
      const templated = action === 'set_fact' || action === 'include_vars';
      const unsafe = action === 'set_fact' ? this.unsafeFacts.get(host) : undefined;
      for (const [k, v] of Object.entries(facts)) {
        if (templated && !unsafe?.has(k)) setTemplated(state.facts, { [k]: v });
        else setRaw(state.facts, k, v);
      }
      // A module's facts (and set_fact's cacheable ones) are the host's facts: also under ansible_facts,
      // without their ansible_ prefix (Ansible's set_host_facts and namespace_facts).
      if (action !== 'include_vars' && (action !== 'set_fact' || toBool(task.args.cacheable ?? false))) {
        const all = { ...((state.facts.ansible_facts as Vars | undefined) ?? {}) };
        for (const [k, v] of Object.entries(facts)) all[k.replace(/^ansible_/, '')] = v;
        setRaw(state.facts, 'ansible_facts', all);
      }
    }
    // group_by and add_host: the run's inventory changes (Ansible reports a change when something was added).
    if (!failed && typeof result.add_group === 'string') changed = this.env.ctx.addToGroup(host, result.add_group, (result.parent_groups as string[] | undefined) ?? ['all']) || changed;
    if (!failed && result.add_host) changed = this.env.ctx.addHost(result.add_host as { host_name: string; groups: string[]; host_vars: Vars }) || changed;
    // Every result has changed and failed, as Ansible's (`'failed' in r` is true); under until, the attempt (failed_when may read it).
    result = { ...result, changed, msg, failed, ...(this.task.until ? { attempts: this.attempts.get(host) ?? 1 } : {}) };
    // changed_when / failed_when see the result under the register name.
    if (task.changedWhen || task.failedWhen) {
      const regVars: Vars = task.register ? { [task.register]: result } : {};
      // The item's variables too (changed_when: item == 2 in a loop).
      const condLookup: Lookup = (name) => (name in regVars ? regVars[name] : lookup(name));
      // As Ansible's: failed_when's outcome is kept as failed_when_result; a condition that cannot be
      // evaluated fails the task, its message kept as <keyword>_result beside the module's own result.
      let which = 'changed_when';
      try {
        if (task.changedWhen) changed = task.changedWhen.every((c) => condition(c, condLookup));
        which = 'failed_when';
        if (task.failedWhen) failed = result.failed_when_result = task.failedWhen.some((c) => condition(c, condLookup));
      } catch (e) {
        if (isBug(e)) throw e;
        failed = true;
        msg = messageOf(e);
        result[`${which}_result`] = msg;
      }
      result.changed = changed;
      result.failed = failed;
    }
    // With diff on (--diff or the task's diff: true), the result carries Ansible's diff entries.
    if (diff && plan.diff?.length && !failed) result.diff = plan.diff.map((d) => ({ before_header: d.path, after_header: d.path, before: d.before, after: d.after }));
    status ??= failed ? 'failed' : changed ? 'changed' : 'ok';
    if (failed) status = 'failed';
    // A failed task reports no change (its registered result keeps what the module said, as Ansible's).
    return { status, changed: failed ? false : changed, msg, diff: diff && !failed ? plan.diff ?? [] : [], result };
  }

  private moduleContext(host: string, check: boolean, diff: boolean, become: Become | undefined, lookup: Lookup, target: ModuleTarget | undefined, environment?: string): ModuleContext {
    // A role's task looks in the role's files/ and templates/ first, as Ansible's.
    const searchDirs = [...new Set([...(this.task.roleDir ? [this.task.roleDir] : []), this.task.location.file.replace(/\/[^/]*$/, ''), this.env.play.dir])];
    return moduleContext({ host, check, diff, become, vars: lookup, searchDirs, target, environment });
  }

}

function title(task: TaskNode, lookup: Lookup): string {
  try {
    return String(renderString(taskTitle(task), lookup));
  } catch {
    return taskTitle(task);
  }
}

/** The one-line reason a task failed, for any error a task can end with. */
function describeFailure(e: unknown, task: TaskNode): string {
  const at = `${task.location.file}:${task.location.line}:${task.location.column}`;
  if (e instanceof TemplateError) return `${e.message} (at ${at})`;
  if (isResourceLimit(e)) return `the task asks for more than this machine can hold (${(e as Error).message}); check its templates and loops (at ${at})`;
  if (isBug(e)) return `internal error: ${messageOf(e)}. This is a bug in jitsi-fleet: please report it (JITSI_FLEET_DEBUG=1 shows the stack trace)`;
  return messageOf(e);
}

/** Errors that mean the host went away (as opposed to a command failing). */
function isConnectionLoss(e: unknown): boolean {
  return e instanceof Error && (e.name === 'ConnectionError' || (e as { kind?: string }).kind === 'connection');
}

/**
 * `async: N` on command and shell: with `poll` above 0 the command runs to its end within N
 * seconds (what Ansible's polling amounts to); with `poll: 0` it is started in the background
 * and the task goes on at once, its result saying started (async_status is not supported).
 */
function asyncPlan(plan: Plan, task: TaskNode, lookup: Lookup): Plan {
  const seconds = Number(renderString(String(task.async), lookup));
  const poll = task.poll === undefined ? 15 : Number(renderString(String(task.poll), lookup));
  if (!Number.isFinite(seconds) || seconds < 0 || !Number.isFinite(poll) || poll < 0) throw new InputError(`async and poll must be numbers of seconds, got async: ${task.async}, poll: ${task.poll}`, { location: task.location });
  const wrap = (command: string) =>
    poll === 0
      ? `setsid /bin/sh -c ${shellQuote(`${seconds > 0 ? `timeout ${seconds} ` : ''}/bin/sh -c ${shellQuote(command)}`)} </dev/null >/dev/null 2>&1 &`
      : seconds > 0 ? `timeout ${seconds} /bin/sh -c ${shellQuote(command)}` : command;
  const changes = plan.changes.map((c) => (c.kind === 'exec' ? { ...c, command: wrap(c.command), ...(poll === 0 ? { stdin: undefined } : {}) } : c));
  const jobId = `j${Math.floor(Math.random() * 1e12)}.${process.pid}`;
  return {
    ...plan,
    changes,
    finish(outs) {
      if (poll === 0) return { changed: true, msg: '', result: { ansible_job_id: jobId, started: 1, finished: 0 } };
      if (outs.some((o) => o.code === 124) && seconds > 0) return { failed: true, changed: false, msg: `async task did not complete within the requested time - ${seconds}s`, result: { ansible_job_id: jobId, finished: 1 } };
      const r = plan.finish ? plan.finish(outs) : { changed: true };
      return { ...r, result: { ...(r.result ?? {}), ansible_job_id: jobId, finished: 1 } };
    },
  };
}

/** The items of a task's or include_tasks' loop (`loop`, or `with_<lookup>` through its lookup), as Ansible makes them. */
export function loopItems(node: { loop?: unknown; loopKind?: string }, lookup: Lookup): unknown[] {
  let items = renderDeep(node.loop, lookup);
  if (node.loopKind && node.loopKind !== 'loop') {
    // with_<lookup>: query(lookup, terms), the terms a list (a lone value is one term), as Ansible's.
    const plugin = node.loopKind.replace(/^with_/, '');
    if (plugin === 'indexed_items' && !Array.isArray(items)) throw new TemplateError('with_indexed_items expects a list');
    // A mapping is not wrapped into a list of terms (listify_lookup_plugin_terms): the list lookup refuses it.
    if (plugin === 'list' && items !== null && typeof items === 'object' && !Array.isArray(items)) throw new TemplateError('with_list expects a list');
    items = queryLookup(plugin, Array.isArray(items) ? items : [items], lookup);
  }
  if (typeof items === 'string') throw new TemplateError(`loop must be a list; the template gave a string: ${JSON.stringify(items).slice(0, 80)}`);
  if (!Array.isArray(items)) throw new TemplateError(`loop must be a list, got ${items === null ? 'null' : typeof items}`);
  return items;
}

/** The variables one loop item sets: the loop variable, the index variable, ansible_loop when extended. */
export function loopVarsOf(lc: LoopControl | undefined, list: unknown[], index: number, extended: boolean, allItems: boolean): Vars {
  const loopVar = lc?.loopVar ?? 'item';
  const loopVars: Vars = { [loopVar]: list[index], ansible_loop_var: loopVar };
  if (lc?.indexVar) {
    loopVars[lc.indexVar] = index;
    loopVars.ansible_index_var = lc.indexVar;
  }
  if (extended) {
    // loop_control.extended: Ansible's ansible_loop.
    loopVars.ansible_loop = {
      ...(allItems ? { allitems: list } : {}),
      index: index + 1, index0: index, revindex: list.length - index, revindex0: list.length - index - 1,
      first: index === 0, last: index === list.length - 1, length: list.length,
      ...(index > 0 ? { previtem: list[index - 1] } : {}),
      ...(index < list.length - 1 ? { nextitem: list[index + 1] } : {}),
    };
  }
  return loopVars;
}

/** loop_control with its loop_var and index_var rendered (they may be templates) and checked as names. */
export function namedLoopControl(lc: LoopControl | undefined, lookup: Lookup): LoopControl | undefined {
  if (!lc) return lc;
  const name = (v: string | undefined, key: string) => {
    if (v === undefined || !v.includes('{{')) return v;
    const out = String(renderString(v, lookup));
    if (!/^[A-Za-z_]\w*$/.test(out)) throw new TemplateError(`loop_control.${key} must be a variable name, got '${out}'`);
    return out;
  };
  return { ...lc, loopVar: name(lc.loopVar, 'loop_var'), indexVar: name(lc.indexVar, 'index_var') };
}

const EXPANDS = /^~(\/|$)|\$(\w+|\{\w+\})/;

/**
 * Ansible's `type: path` arguments: a leading `~` becomes $HOME and `$NAME`/`${NAME}` the variable's
 * value (unset: left as written, as Python's expandvars), read on the host as the user the module
 * runs as (one `env` per host and user, kept for the run; the connecting user's comes with the facts).
 */
async function expandHostPaths(mod: TaskNode['mod'], args: Record<string, unknown>, conn: Connection, become: Become | undefined, state: { envs?: Map<string, Record<string, string>> }): Promise<void> {
  const names = typeof mod.hostPaths === 'function' ? mod.hostPaths(args) : mod.hostPaths ?? [];
  const wanted = names.filter((n) => (Array.isArray(args[n]) ? (args[n] as unknown[]) : [args[n]]).some((v) => typeof v === 'string' && EXPANDS.test(v)));
  if (wanted.length === 0) return;
  const key = become?.user ?? '';
  state.envs ??= new Map();
  let env = state.envs.get(key);
  if (!env) {
    env = parseEnv((await conn.exec('env -0 | base64 -w0', { become })).stdout.trim());
    state.envs.set(key, env);
  }
  const vars = env;
  const expand = (v: string) => v.replace(/^~(?=\/|$)/, () => vars.HOME ?? '~').replace(/\$(?:(\w+)|\{(\w+)\})/g, (m, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? m);
  for (const n of wanted) args[n] = Array.isArray(args[n]) ? (args[n] as unknown[]).map((v) => (typeof v === 'string' ? expand(v) : v)) : expand(String(args[n]));
}
