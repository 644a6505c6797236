/**
 * The inventory: groups, hosts, and their variables, as Ansible builds it.
 * Every host belongs to `all`; a host in no other group belongs to `ungrouped`.
 */
import type { Location } from '../errors.ts';

export type Vars = Record<string, unknown>;

export interface Group {
  name: string;
  vars: Vars;
  /** Hosts listed directly in this group, in definition order. */
  hosts: string[];
  children: string[];
  parents: string[];
  location?: Location;
}

export interface Host {
  name: string;
  vars: Vars;
  /** Groups the host was listed in directly. */
  groups: string[];
  location?: Location;
}

/** Variables from `group_vars/` and `host_vars/` folders (inventory side or playbook side). */
export interface VarsDirs {
  group: Map<string, Vars>;
  host: Map<string, Vars>;
}

export class Inventory {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, Host>();
  /** The inventory file(s) these came from (for inventory_file / inventory_dir). */
  sources: string[] = [];
  /** group_vars/ and host_vars/ beside the inventory. */
  inventoryDirVars: VarsDirs = { group: new Map(), host: new Map() };

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string, location?: Location): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, vars: {}, hosts: [], children: [], parents: [], location };
      this.groups.set(name, g);
    }
    return g;
  }

  addChild(parent: string, child: string): void {
    const p = this.addGroup(parent);
    const c = this.addGroup(child);
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  addHost(name: string, group: string, location?: Location): Host {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: {}, groups: [], location };
      this.hosts.set(name, h);
    }
    const g = this.addGroup(group);
    if (!g.hosts.includes(name)) g.hosts.push(name);
    if (!h.groups.includes(group)) h.groups.push(group);
    return h;
  }

  /** Ansible's reconcile step: top-level groups under `all`, orphans to `ungrouped`. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const h of this.hosts.values()) {
      const real = h.groups.filter((n) => n !== 'all' && n !== 'ungrouped');
      if (real.length > 0 && h.groups.includes('ungrouped')) {
        h.groups = h.groups.filter((n) => n !== 'ungrouped');
        ungrouped.hosts = ungrouped.hosts.filter((n) => n !== h.name);
      }
      if (real.length === 0 && !h.groups.includes('ungrouped')) {
        h.groups.push('ungrouped');
        ungrouped.hosts.push(h.name);
      }
    }
  }

  /** All groups a host belongs to, directly or through parents (including `all`). */
  groupsOf(host: string): Group[] {
    const h = this.hosts.get(host);
    if (!h) return [];
    const seen = new Map<string, Group>();
    const walk = (name: string) => {
      if (seen.has(name)) return;
      const g = this.groups.get(name);
      if (!g) return;
      seen.set(name, g);
      for (const p of g.parents) walk(p);
    };
    for (const g of h.groups) walk(g);
    walk('all');
    return [...seen.values()];
  }

  /** Depth of a group below `all` (Ansible sorts group vars by depth, then name). */
  depth(name: string, seen: Set<string> = new Set()): number {
    const g = this.groups.get(name);
    if (!g || g.parents.length === 0 || seen.has(name)) return 0;
    seen.add(name);
    return 1 + Math.max(...g.parents.map((p) => this.depth(p, new Set(seen))));
  }

  /** A host's groups in the order Ansible merges their vars: depth, priority, name. */
  sortedGroupsOf(host: string): Group[] {
    return this.groupsOf(host)
      .filter((g) => g.name !== 'all')
      .map((g) => ({ g, d: this.depth(g.name), p: Number(g.vars.ansible_group_priority ?? 1) }))
      .sort((a, b) => a.d - b.d || a.p - b.p || (a.g.name < b.g.name ? -1 : a.g.name > b.g.name ? 1 : 0))
      .map((x) => x.g);
  }

  /** Hosts of a group and of all its descendants, in definition order. */
  hostsOfGroup(name: string): string[] {
    const g = this.groups.get(name);
    if (!g) return [];
    if (name === 'all') return [...this.hosts.keys()];
    const out: string[] = [];
    const seenGroups = new Set<string>();
    const walk = (grp: Group) => {
      if (seenGroups.has(grp.name)) return;
      seenGroups.add(grp.name);
      for (const c of grp.children) {
        const cg = this.groups.get(c);
        if (cg) walk(cg);
      }
    };
    walk(g);
    const members = new Set<string>();
    for (const gn of seenGroups) for (const h of this.groups.get(gn)!.hosts) members.add(h);
    for (const h of this.hosts.keys()) if (members.has(h)) out.push(h);
    return out;
  }

  /**
   * A host's variables from the inventory, in Ansible's order: `all` from the
   * file, groups from the file, then the group_vars folders (inventory side,
   * then playbook side), host vars from the file, host_vars folders.
   */
  hostVars(host: string, playbookDirVars?: VarsDirs): Vars {
    const h = this.hosts.get(host);
    if (!h) return {};
    const groups = this.sortedGroupsOf(host);
    const all = this.groups.get('all')!;
    const layers: (Vars | undefined)[] = [
      all.vars,
      ...groups.map((g) => g.vars),
      this.inventoryDirVars.group.get('all'),
      playbookDirVars?.group.get('all'),
      ...groups.map((g) => this.inventoryDirVars.group.get(g.name)),
      ...groups.map((g) => playbookDirVars?.group.get(g.name)),
      h.vars,
      this.inventoryDirVars.host.get(host),
      playbookDirVars?.host.get(host),
    ];
    const out: Vars = {};
    for (const layer of layers) if (layer) Object.assign(out, layer);
    return out;
  }
}
