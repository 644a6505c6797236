/**
 * The engine in process, over in-memory hosts: fast tests of its semantics
 * (keywords, handlers, failures, check mode) without spawning the CLI. Not
 * end-to-end proof: that is what the cli and lab suites are for.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exitCodeOf } from '../../src/cli.ts';
import { Engine, type RunResult } from '../../src/engine/run.ts';
import type { RunEvent, TaskOutcome } from '../../src/events/events.ts';
import { Redactor } from '../../src/events/redact.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { loadVarsDirs } from '../../src/inventory/vars-dirs.ts';
import { catalog } from '../../src/modules/index.ts';
import { loadPlaybook } from '../../src/playbook/load.ts';
import { MemoryHost } from './memory-host.ts';

export interface MemoryRun {
  result: RunResult;
  code: number;
  events: RunEvent[];
  hosts: Map<string, MemoryHost>;
  /** Each task's outcome on a host, by task name. */
  outcome(task: string, host: string): TaskOutcome | undefined;
  /** Names of the tasks started, in order. */
  started(): string[];
}

/** Runs `playbook` (YAML text) against `inventory` (YAML text) on in-memory hosts. */
export async function runInMemory(
  playbook: string,
  inventory: string,
  opts: { check?: boolean; diff?: boolean; hosts?: Map<string, MemoryHost>; extraVars?: Record<string, unknown>; writeBehind?: boolean } = {},
): Promise<MemoryRun> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jf-mem-'));
  try {
    await writeFile(path.join(dir, 'play.yml'), playbook);
    await writeFile(path.join(dir, 'hosts.yml'), inventory);
    const pb = await loadPlaybook(path.join(dir, 'play.yml'), { catalog });
    const inv = await loadInventory(path.join(dir, 'hosts.yml'));
    const hosts = opts.hosts ?? new Map<string, MemoryHost>();
    const events: RunEvent[] = [];
    const engine = new Engine({
      inventory: inv,
      playbook: pb,
      check: opts.check ?? false,
      diff: opts.diff ?? false,
      tags: { only: [], skip: [] },
      extraVars: opts.extraVars ?? {},
      forks: 5,
      writeBehind: opts.writeBehind,
      emit: (e) => events.push(e),
      redactor: new Redactor(),
      playbookDirVars: await loadVarsDirs(dir),
      connectionFor: (host) => {
        let h = hosts.get(host);
        if (!h) hosts.set(host, (h = new MemoryHost(host)));
        return h;
      },
    });
    const result = await engine.run();
    return {
      result,
      code: exitCodeOf(result, false),
      events,
      hosts,
      outcome: (task, host) => events.find((e): e is Extract<RunEvent, { kind: 'task-result' }> => e.kind === 'task-result' && e.task === task && e.host === host),
      started: () => events.flatMap((e) => (e.kind === 'task-start' ? [e.name] : [])),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
