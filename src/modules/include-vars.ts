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
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadYamlFile } from '../yaml/source.ts';
import type { ModuleContext, ModuleDef, Plan } from './types.ts';

export interface IncludeVarsArgs {
  _raw_params?: string;
  file?: string | null;
  dir?: string;
  name?: string;
  files_matching?: string;
  ignore_files?: string[];
  extensions: string[];
  depth: number;
  ignore_unknown_extensions: boolean;
  hash_behaviour?: 'replace' | 'merge';
}

class NoValidExtension extends Error {}

/** The files of a `dir:`, as Ansible reads them: sorted by name, folders after their files, down to `depth` (0: all). */
async function filesOf(dir: string, a: IncludeVarsArgs, level = 1): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  const out: string[] = [];
  const subdirs: string[] = [];
  for (const n of names) {
    const p = path.join(dir, n);
    if ((await stat(p)).isDirectory()) {
      if (a.depth === 0 || level < a.depth) subdirs.push(p);
      continue;
    }
    // As Ansible's: each ignore_files entry is a regular expression the name ends with; files_matching is searched in the name.
    if (a.ignore_files?.some((pat) => new RegExp(`${pat}$`).test(n))) continue;
    if (a.files_matching !== undefined && !new RegExp(a.files_matching).test(n)) continue;
    // A file of another extension fails the task unless ignore_unknown_extensions (Ansible's _load_files).
    if (!a.extensions.includes(path.extname(n).slice(1))) {
      if (a.ignore_unknown_extensions) continue;
      throw new NoValidExtension(`${p} does not have a valid extension: ${a.extensions.join(', ')}`);
    }
    out.push(p);
  }
  for (const d of subdirs) out.push(...(await filesOf(d, a, level + 1)));
  return out;
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
    properties: {
      _raw_params: { type: 'string' },
      // null: a first_found lookup that found nothing (errors='ignore').
      file: { type: ['string', 'null'] },
      dir: { type: 'string' },
      name: { type: 'string', pattern: '^[A-Za-z_]\\w*$' },
      files_matching: { type: 'string' },
      ignore_files: { type: 'array', items: { type: 'string' } },
      extensions: { type: 'array', items: { type: 'string' }, default: ['json', 'yaml', 'yml'] },
      depth: { type: 'integer', minimum: 0, default: 0 },
      ignore_unknown_extensions: { type: 'boolean', default: false },
      hash_behaviour: { enum: ['replace', 'merge'] },
    },
    oneOf: [{ required: ['_raw_params'] }, { required: ['file'] }, { required: ['dir'] }],
    errorMessage: 'include_vars needs the file (free form or file:) or a dir:',
  },
  async plan(a, ctx): Promise<Plan> {
    const plan = await planIncludeVars(a, ctx);
    // A failure's text is also the result's `message`, as Ansible's include_vars action returns it.
    return plan.failed ? { ...plan, result: { ...(plan.result ?? {}), message: plan.msg } } : plan;
  },
};

async function planIncludeVars(a: IncludeVarsArgs, ctx: ModuleContext): Promise<Plan> {
  {
    if (a.dir !== undefined) {
      const dirs = path.isAbsolute(a.dir) ? [a.dir] : ctx.searchDirs.flatMap((d) => [path.join(d, 'vars', a.dir!), path.join(d, a.dir!)]);
      let found: string | undefined;
      for (const d of dirs) if (!found && (await stat(d).then((s) => s.isDirectory(), () => false))) found = d;
      if (!found) return { changes: [], failed: true, msg: `${a.dir} directory does not exist` };
      let files: string[];
      try {
        files = await filesOf(found, a);
      } catch (e) {
        if (e instanceof NoValidExtension) return { changes: [], failed: true, msg: e.message };
        throw e;
      }
      const vars: Record<string, unknown> = {};
      for (const f of files) {
        const data = await loadYamlFile(f);
        if (data !== null && (typeof data !== 'object' || Array.isArray(data))) return { changes: [], failed: true, msg: `${f} must be stored as a dictionary/hash` };
        Object.assign(vars, data ?? {});
      }
      const facts = merged(a, ctx.vars, a.name ? { [a.name]: vars } : vars);
      return { changes: [], msg: `read ${Object.keys(vars).length} variables from ${files.length} files in ${found}`, result: { ansible_facts: facts, ansible_included_var_files: files } };
    }
    if (a.file === null || (a.file ?? a._raw_params ?? '').trim() === '') return { changes: [], failed: true, msg: 'Could not find file on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option' };
    const want = (a.file ?? a._raw_params)!.trim();
    const found = await find(want, ctx.searchDirs);
    if (!found) return { changes: [], failed: true, msg: `Could not find or access '${want}' (looked in ${ctx.searchDirs.map((d) => path.join(d, 'vars')).join(', ')} and those folders)` };
    const data = await loadYamlFile(found);
    if (data !== null && (typeof data !== 'object' || Array.isArray(data))) return { changes: [], failed: true, msg: `${found} must be a mapping of variables` };
    const vars = (data ?? {}) as Record<string, unknown>;
    const facts = merged(a, ctx.vars, a.name ? { [a.name]: vars } : vars);
    return { changes: [], msg: `read ${Object.keys(vars).length} variables from ${path.relative(process.cwd(), found) || found}`, result: { ansible_facts: facts, ansible_included_var_files: [found] } };
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** hash_behaviour: merge: dicts read are merged into the values the host has, recursively. */
function merged(a: IncludeVarsArgs, vars: (name: string) => unknown, facts: Record<string, unknown>): Record<string, unknown> {
  if (a.hash_behaviour !== 'merge') return facts;
  return Object.fromEntries(Object.entries(facts).map(([k, v]) => {
    const old = vars(k);
    return [k, isMap(old) && isMap(v) ? deepMerge(old, v) : v];
  }));
}
