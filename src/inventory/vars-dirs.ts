/** `group_vars/` and `host_vars/` folders, as Ansible's host_group_vars plugin reads them. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { loadYamlFile, locate } from '../yaml/source.ts';
import type { Vars, VarsDirs } from './model.ts';

const EXTS = ['', '.yml', '.yaml', '.json'];

async function isDir(p: string): Promise<boolean> {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

async function loadVarsFile(file: string): Promise<Vars> {
  const data = await loadYamlFile(file);
  if (data === null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError('a vars file must be a mapping of variable names to values', { location: locate(data) ?? { file, line: 1, column: 1 } });
  }
  return data as Vars;
}

async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesIn(full)));
    else if (EXTS.includes(path.extname(e.name))) out.push(full);
  }
  return out;
}

async function loadEntityDir(dir: string): Promise<Map<string, Vars>> {
  const out = new Map<string, Vars>();
  if (!(await isDir(dir))) return out;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    const ext = path.extname(e.name);
    const files = e.isDirectory() ? await filesIn(full) : EXTS.includes(ext) ? [full] : [];
    const name = e.isDirectory() || !EXTS.includes(ext) ? e.name : e.name.slice(0, e.name.length - ext.length);
    const vars = out.get(name) ?? {};
    for (const f of files) Object.assign(vars, await loadVarsFile(f));
    out.set(name, vars);
  }
  return out;
}

/** Reads `DIR/group_vars` and `DIR/host_vars`. Missing folders mean no vars. */
export async function loadVarsDirs(dir: string): Promise<VarsDirs> {
  const [group, host] = await Promise.all([loadEntityDir(path.join(dir, 'group_vars')), loadEntityDir(path.join(dir, 'host_vars'))]);
  return { group, host };
}

export { loadVarsFile };
