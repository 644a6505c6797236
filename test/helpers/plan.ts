/** Runs a module's planner against an in-memory host. */
import { FileView } from '../../src/engine/file-view.ts';
import { moduleContext } from '../../src/engine/module-context.ts';
import { normalizeArgs, checkArgs } from '../../src/playbook/args.ts';
import { findModule } from '../../src/modules/index.ts';
import type { Plan } from '../../src/modules/types.ts';
import { MemoryHost } from './memory-host.ts';

export async function planOn(host: MemoryHost, module: string, rawArgs: Record<string, unknown>, opts: { check?: boolean; vars?: Record<string, unknown> } = {}): Promise<Plan> {
  const mod = findModule(module)!;
  const args = normalizeArgs(mod, rawArgs);
  checkArgs(mod, args, { templated: true });
  // The engine's own context, over an in-memory host.
  return mod.plan(
    args,
    moduleContext({ host: host.host, check: opts.check ?? false, diff: true, vars: (n) => opts.vars?.[n], searchDirs: [process.cwd()], target: { conn: host, files: new FileView(host) } }),
  );
}

/** The content a plan would leave at `path` (the host's own when nothing changes). */
export function contentAfter(host: MemoryHost, plan: Plan, path: string): string | undefined {
  const write = plan.changes.find((c) => c.kind === 'write' && c.path === path);
  return write && write.kind === 'write' ? write.content.toString() : host.text(path);
}
