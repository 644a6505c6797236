/** Loads an inventory file (YAML or INI) with its group_vars/host_vars folders. */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { parseYaml } from '../yaml/source.ts';
import { parseIniInventory } from './ini-inventory.ts';
import { Inventory } from './model.ts';
import { loadVarsDirs } from './vars-dirs.ts';
import { parseYamlInventory } from './yaml-inventory.ts';

export const DEFAULT_INVENTORY = 'inventory/hosts.yml';

function looksLikeYaml(file: string, text: string): boolean {
  const ext = path.extname(file).toLowerCase();
  if (['.yml', '.yaml', '.json'].includes(ext)) return true;
  if (['.ini', '.cfg', '.txt'].includes(ext)) return false;
  // No telling extension: INI has [sections] or bare host names; YAML has `name:` keys.
  const first = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#') && !l.startsWith(';'));
  return first !== undefined && (first === '---' || /^[^\s=\[]+:\s*(#.*)?$/.test(first) || first.startsWith('{'));
}

/** Reads an inventory file; `hostList` (`a,b,`) is also accepted as Ansible does. */
export async function loadInventory(source: string): Promise<Inventory> {
  const inv = new Inventory();
  if (source.includes(',') && !source.includes('/')) {
    for (const name of source.split(',').map((s) => s.trim()).filter(Boolean)) inv.addHost(name, 'ungrouped');
    inv.reconcile();
    return inv;
  }
  let info;
  try {
    info = statSync(source);
  } catch {
    throw new InputError(`inventory not found: ${source}`, { hint: `pass -i FILE, or create ${DEFAULT_INVENTORY}` });
  }
  if (info.isDirectory()) throw new InputError(`inventory ${source} is a folder; pass the inventory file itself (e.g. ${path.join(source, 'hosts.yml')})`);
  const text = readFileSync(source, 'utf8');
  if (looksLikeYaml(source, text)) parseYamlInventory(inv, parseYaml(text, source), source);
  else parseIniInventory(inv, text, source);
  inv.reconcile();
  inv.sources = [path.resolve(source)];
  inv.inventoryDirVars = await loadVarsDirs(path.dirname(source));
  return inv;
}
