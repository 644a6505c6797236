/**
 * include_vars: variables from a YAML file on the controller, for the rest of
 * the play on that host (as facts), as Ansible's: `include_vars: file.yml`,
 * or `file:` with `name:` to put them under one variable. A relative file is
 * looked for in `vars/` of the role, of the task file's folder and of the
 * playbook's folder, then in those folders themselves.
 *
 * ```yaml
 * - include_vars: "{{ ansible_distribution }}.yml"
 * - include_vars: { file: secrets.yml, name: secrets }
 * ```
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { loadYamlFile } from '../yaml/source.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface IncludeVarsArgs {
  _raw_params?: string;
  file?: string;
  name?: string;
}

async function find(file: string, dirs: string[]): Promise<string | undefined> {
  const candidates = path.isAbsolute(file) ? [file] : dirs.flatMap((d) => [path.join(d, 'vars', file), path.join(d, file)]);
  for (const c of candidates) {
    try {
      await access(c);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export const includeVars: ModuleDef<IncludeVarsArgs> = {
  name: 'include_vars',
  controller: true,
  freeForm: ['name'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { _raw_params: { type: 'string' }, file: { type: 'string' }, name: { type: 'string', pattern: '^[A-Za-z_]\\w*$' } },
    oneOf: [{ required: ['_raw_params'] }, { required: ['file'] }],
    errorMessage: 'include_vars needs the file: free form or file: (dir, files_matching are not supported)',
  },
  async plan(a, ctx): Promise<Plan> {
    const want = (a.file ?? a._raw_params)!.trim();
    const found = await find(want, ctx.searchDirs);
    if (!found) return { changes: [], failed: true, msg: `Could not find or access '${want}' (looked in ${ctx.searchDirs.map((d) => path.join(d, 'vars')).join(', ')} and those folders)` };
    const data = await loadYamlFile(found);
    if (data !== null && (typeof data !== 'object' || Array.isArray(data))) return { changes: [], failed: true, msg: `${found} must be a mapping of variables` };
    const vars = (data ?? {}) as Record<string, unknown>;
    const facts = a.name ? { [a.name]: vars } : vars;
    return { changes: [], msg: `read ${Object.keys(vars).length} variables from ${path.relative(process.cwd(), found) || found}`, result: { ansible_facts: facts, ansible_included_var_files: [found] } };
  },
};
