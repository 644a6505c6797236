/** Ansible's YAML inventory format: groups with `hosts`, `vars` and `children`. */
import { InputError } from '../errors.ts';
import { locate, locateKey } from '../yaml/source.ts';
import { inventorySchema } from './schema.ts';
import { check } from '../yaml/schema-check.ts';
import type { Inventory } from './model.ts';
import { expandHostPattern } from './ranges.ts';

const SECTIONS = ['hosts', 'vars', 'children'];

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parseGroup(inv: Inventory, name: string, data: unknown, owner: object): void {
  if (data !== null && !isMapping(data)) {
    throw new InputError(`group '${name}' must be a mapping with hosts, vars or children; found ${Array.isArray(data) ? 'a list' : typeof data}`, {
      location: locate(owner, name),
    });
  }
  inv.addGroup(name, locateKey(owner, name));
  if (data === null) return;
  for (const [key, value] of Object.entries(data)) {
    if (!SECTIONS.includes(key)) {
      throw new InputError(`unknown key '${key}' in group '${name}'; a group holds only hosts, vars and children`, {
        location: locateKey(data, key),
        hint: `to give '${name}' a variable, put it under '${name}.vars'; a host goes under '${name}.hosts'`,
      });
    }
    if (value === null) continue;
    const section = typeof value === 'string' ? { [value]: null } : value;
    if (!isMapping(section)) {
      throw new InputError(`'${key}' of group '${name}' must be a mapping`, { location: locate(data, key) });
    }
    if (key === 'vars') {
      Object.assign(inv.addGroup(name).vars, section);
    } else if (key === 'children') {
      for (const [child, childData] of Object.entries(section)) {
        parseGroup(inv, child, childData, section);
        inv.addChild(name, child);
      }
    } else {
      for (const [pattern, hostVars] of Object.entries(section)) {
        const location = locateKey(section, pattern);
        if (hostVars !== null && !isMapping(hostVars)) {
          throw new InputError(`host '${pattern}' in group '${name}' must map to its variables (or nothing)`, {
            location: locate(section, pattern),
            hint: `write '${pattern}:' alone, or '${pattern}: { ansible_host: ... }'`,
          });
        }
        const { names, port } = expandHostPattern(pattern, location);
        for (const hn of names) {
          const host = inv.addHost(hn, name, location);
          if (port !== undefined) host.vars.ansible_port = port;
          Object.assign(host.vars, hostVars ?? {});
        }
      }
    }
  }
}

export function parseYamlInventory(inv: Inventory, data: unknown, file: string): void {
  if (data === null || data === undefined) throw new InputError(`the inventory ${file} is empty`, { location: { file, line: 1, column: 1 } });
  if (!isMapping(data)) {
    throw new InputError('a YAML inventory must be a mapping of group names', { location: locate(data) ?? { file, line: 1, column: 1 } });
  }
  if ('plugin' in data) {
    throw new InputError('inventory plugins are not supported; use a static YAML or INI inventory', { location: locateKey(data, 'plugin') });
  }
  for (const [name, group] of Object.entries(data)) parseGroup(inv, name, group, data);
  check(inventorySchema, data, 'inventory');
}
