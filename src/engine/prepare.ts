/**
 * Getting a batch's hosts ready before its tasks: facts gathered, and every
 * file the play's tasks will read fetched in one command per host (per
 * effective user).
 */
import type { Become } from '../connection/types.ts';
import { isFleetError } from '../errors.ts';
import type { Keywords, Node, TaskNode } from '../playbook/types.ts';
import { renderString } from '../template/templar.ts';
import { Unreachable, type PlayPosition, type RunContext } from './context.ts';
import { gatherFacts } from './facts.ts';
import { forEachLimited } from './pool.ts';
import { becomeFor } from './keywords.ts';
import { setRaw } from './vars.ts';

/** Gathers facts on `hosts`, reported as task `id`. */
export async function gatherOn(ctx: RunContext, at: PlayPosition, hosts: string[], forks: number, id: number): Promise<void> {
  const { play, batch, playHosts } = at;
  ctx.emit({ kind: 'task-start', taskId: id, name: 'Gathering Facts', hosts, handler: false });
  await forEachLimited(hosts, forks, async (h) => {
    const t0 = Date.now();
    try {
      const lookup = ctx.lookup(h, { play, batch, playHosts, hostvars: {} });
      const { conn } = await ctx.connection(h, lookup);
      const facts = await gatherFacts(conn);
      // Values under secret-looking names in the host's environment (ansible_env) are masked in every output.
      ctx.opts.redactor.addByName(facts);
      const state = ctx.host(h);
      // The connecting user's environment: path arguments with ~ or $NAME need no read of their own.
      if (facts.env) (state.envs ??= new Map()).set('', facts.env as Record<string, string>);
      setRaw(state.facts, 'ansible_facts', facts);
      for (const [k, v] of Object.entries(facts)) setRaw(state.facts, `ansible_${k}`, v);
      state.factsGathered = true;
      state.stats.ok++;
      ctx.emit({ kind: 'task-result', host: h, task: 'Gathering Facts', taskId: id, status: 'ok', changed: false, msg: `${facts.distribution} ${facts.distribution_version}`, diff: [], durationMs: Date.now() - t0 });
    } catch (e) {
      if (e instanceof Unreachable) return;
      if (isFleetError(e) && e.kind === 'connection') {
        ctx.markUnreachable(h, e.message);
        return;
      }
      const state = ctx.host(h);
      state.failed = true;
      state.stats.failed++;
      ctx.emit({ kind: 'task-result', host: h, task: 'Gathering Facts', taskId: id, status: 'failed', changed: false, msg: (e as Error).message, diff: [], durationMs: Date.now() - t0 });
    }
  });
  ctx.emit({ kind: 'task-end', taskId: id });
}

/** Reads, in one command per host, every file the play's tasks will look at. */
export async function prefetchFor(ctx: RunContext, at: PlayPosition, hosts: string[], forks: number): Promise<void> {
  const { play, batch, playHosts } = at;
  const tasks: { task: TaskNode; frames: Keywords[] }[] = [];
  const walk = (nodes: Node[], frames: Keywords[]) => {
    for (const n of nodes) {
      if (n.kind === 'task') tasks.push({ task: n, frames });
      else if (n.kind === 'block') {
        for (const list of [n.block, n.rescue, n.always]) walk(list, [...frames, n]);
      } else walk(n.tasks, [...frames, n]);
    }
  };
  walk([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers], []);
  // Read through the play's connection: not for tasks delegated or logging in as another user.
  const readers = tasks.filter((t) => t.task.mod.reads && ![t.task, ...t.frames].some((f) => f.delegateTo || f.remoteUser !== undefined));
  if (readers.length === 0) return;
  const hostvars = ctx.hostvars(play, batch, playHosts);
  await forEachLimited(hosts, forks, async (h) => {
    // Paths per effective user (a root-only file reads differently for another user).
    const byUser = new Map<string, { become?: Become; paths: Set<string> }>();
    for (const { task, frames } of readers) {
      try {
        const lookup = ctx.lookup(h, { play, batch, playHosts, hostvars }, [...frames, task]);
        const args = Object.fromEntries(Object.entries(task.args).map(([k, v]) => [k, typeof v === 'string' ? renderString(v, lookup) : v]));
        const become = becomeFor([...frames, task], play, lookup);
        const group = byUser.get(become?.user ?? '') ?? { become, paths: new Set<string>() };
        byUser.set(become?.user ?? '', group);
        for (const p of task.mod.reads!(args)) if (typeof p === 'string' && p.startsWith('/')) group.paths.add(p);
      } catch {
        // Arguments that need loop items or later facts are read when their task runs.
      }
    }
    if (![...byUser.values()].some((g) => g.paths.size)) return;
    try {
      const lookup = ctx.lookup(h, { play, batch, playHosts, hostvars });
      const { conn, files } = await ctx.connection(h, lookup);
      // become to the login user is no become: one read for both.
      const merged = new Map<string, { become?: Become; paths: Set<string> }>();
      for (const g of byUser.values()) {
        const user = g.become?.user ?? conn.user;
        const into = merged.get(user) ?? { become: user === conn.user ? undefined : g.become, paths: new Set<string>() };
        g.paths.forEach((p) => into.paths.add(p));
        merged.set(user, into);
      }
      for (const g of merged.values()) if (g.paths.size) await files.prefetch([...g.paths], g.become);
    } catch (e) {
      // Unreachable hosts are marked by connection(); any other problem shows in the task that reads the file.
      if (isFleetError(e) && e.kind === 'connection') ctx.markUnreachable(h, e.message);
    }
  });
}
