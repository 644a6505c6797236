/**
 * group_by and add_host: they change the run's in-memory inventory (the
 * inventory files are never touched), as Ansible's do. The modules only say
 * what to add, with Ansible's result keys; the engine adds it. Later plays
 * may name the new groups and hosts in `hosts:`.
 *
 * ```yaml
 * - group_by: { key: "os_{{ ansible_distribution | lower }}" }
 * - add_host: { name: jvb9, groups: bridges, ansible_host: 198.51.100.19 }
 * ```
 */
import { argList } from './arg-list.ts';
import type { ModuleDef } from './types.ts';


export const groupBy: ModuleDef<{ key: string; parents?: string | string[] }> = {
  name: 'group_by',
  controller: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['key'],
    properties: { key: { type: 'string', minLength: 1 }, parents: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
  },
  async plan(a) {
    const parents = a.parents === undefined ? ['all'] : argList(a.parents);
    // Ansible's group names: spaces and dashes become underscores (its TRANSFORM_INVALID_GROUP_CHARS is off, but `key` keeps no spaces).
    const name = a.key.replace(/\s+/g, '_');
    return { changes: [], msg: `the host is in group ${name}`, result: { add_group: name, parent_groups: parents } };
  },
};

/** add_host's own arguments; every other one is a variable of the new host. */
const ADD_HOST_ARGS = new Set(['name', 'groups']);

export const addHost: ModuleDef<Record<string, unknown> & { name: string; groups?: string | string[] }> = {
  name: 'add_host',
  controller: true,
  once: true,
  argAliases: { host: 'name', hostname: 'name', group: 'groups', groupname: 'groups' },
  schema: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1 }, groups: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
  },
  async plan(a) {
    // host:port, as Ansible's add_host reads it (an IPv6 address in brackets: [::1]:2222).
    let name = a.name;
    const vars: Record<string, unknown> = Object.fromEntries(Object.entries(a).filter(([k]) => !ADD_HOST_ARGS.has(k)));
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(name);
    if (m) {
      name = m[1].replace(/^\[|\]$/g, '');
      vars.ansible_port ??= Number(m[2]);
    }
    const groups = argList(a.groups);
    return { changes: [], msg: `${name} added${groups.length ? ` to ${groups.join(', ')}` : ''}`, result: { add_host: { host_name: name, groups, host_vars: vars } } };
  },
};
