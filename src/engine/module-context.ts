/**
 * What a module's planner gets: read-only host files, read-only probes, the
 * task's variables and where to find its source files. The one place that
 * builds it (the engine, and the planner tests through the engine's own).
 */
import type { Become, Connection } from '../connection/types.ts';
import type { HostFiles, ModuleContext } from '../modules/types.ts';
import { renderFile } from '../template/templar.ts';
import type { Lookup } from '../util/lookup.ts';

export interface ModuleTarget {
  conn: Connection;
  files: HostFiles;
}

export function moduleContext(opts: {
  host: string;
  check: boolean;
  diff: boolean;
  become?: Become;
  vars: Lookup;
  searchDirs: string[];
  /** The host the module plans on; none for controller modules (set_fact, debug...). */
  target?: ModuleTarget;
  environment?: string;
}): ModuleContext {
  const { target, become } = opts;
  return {
    host: opts.host,
    check: opts.check,
    diff: opts.diff,
    become,
    files: target?.files ?? { get: () => Promise.reject(new Error('this module runs on the controller')) },
    probe: async (command, stdin) => {
      if (!target) throw new Error('this module runs on the controller');
      return target.conn.exec(command, { stdin, become });
    },
    remote: target?.conn,
    environment: opts.environment,
    vars: opts.vars,
    searchDirs: opts.searchDirs,
    renderTemplate: (text, dir, options) => renderFile(text, opts.vars, dir ? [dir] : [], options),
  };
}
