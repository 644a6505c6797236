/** What `jitsi-fleet inventory` prints: the same as `ansible-inventory`. */
import type { Inventory, Vars } from './model.ts';

/** `--list`: groups with their direct hosts and children, and `_meta.hostvars`. */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const hostvars: Record<string, Vars> = {};
  for (const name of inv.hosts.keys()) {
    const vars = inv.hostVars(name);
    if (Object.keys(vars).length > 0) hostvars[name] = vars;
  }
  const out: Record<string, unknown> = { _meta: { hostvars } };
  for (const g of inv.groups.values()) {
    const entry: Record<string, unknown> = {};
    if (g.name !== 'all' && g.hosts.length > 0) entry.hosts = [...g.hosts];
    if (g.children.length > 0) entry.children = [...g.children];
    if (Object.keys(entry).length > 0 || g.name === 'all') out[g.name] = entry;
  }
  return out;
}

/** `--host NAME`: the host's merged inventory variables. */
export function inventoryHost(inv: Inventory, name: string): Vars {
  return inv.hostVars(name);
}

/** `--graph`: the group tree as ansible-inventory draws it. */
export function inventoryGraph(inv: Inventory, root = 'all'): string {
  const lines: string[] = [];
  const walk = (name: string, depth: number) => {
    const g = inv.groups.get(name);
    if (!g) return;
    lines.push(`${depth === 0 ? '' : '  |'.repeat(depth - 1) + '  |--'}@${name}:`);
    for (const c of g.children) walk(c, depth + 1);
    if (name !== 'all') for (const h of g.hosts) lines.push(`${'  |'.repeat(depth)}  |--${h}`);
  };
  walk(root, 0);
  return lines.join('\n');
}
