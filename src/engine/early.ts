/**
 * The hosts a run connects first, known before the playbook is read through:
 * the first play's (at most `count`, in inventory order after --limit), with
 * their connection settings as the inventory and -e give them. The CLI
 * connects them while the rest of the playbook is read and checked; the run
 * takes such a connection only when its own settings for the host come out
 * the same (connectionFactory().early). Nothing here is templated: a host
 * pattern or a setting that needs templating is left to the run.
 */
import type { Inventory, Vars } from '../inventory/model.ts';
import { selectHosts } from '../inventory/pattern.ts';
import type { Lookup } from '../util/lookup.ts';

const TEMPLATED = /\{\{|\{%/;

export function earlyHosts(inventory: Inventory, extraVars: Vars, limit: string | undefined, first: { hosts: unknown; remote_user?: unknown } | undefined, count: number): { host: string; vars: Lookup }[] {
  if (typeof first?.hosts !== 'string' || TEMPLATED.test(first.hosts)) return [];
  let hosts: string[];
  try {
    hosts = selectHosts(inventory, first.hosts);
    if (limit) {
      const allowed = new Set(selectHosts(inventory, limit));
      hosts = hosts.filter((h) => allowed.has(h));
    }
  } catch {
    return []; // the run tells what is wrong with the pattern
  }
  // The play's remote_user sits below every variable (ansible_user wins), as the run decides it.
  const kw = first.remote_user;
  const user = (typeof kw === 'string' && !TEMPLATED.test(kw)) || typeof kw === 'number' ? String(kw) : undefined;
  if (kw !== undefined && user === undefined) return []; // templated: the run decides
  return hosts.slice(0, count).map((host) => {
    const layers = [extraVars, inventory.hostVars(host), user === undefined ? {} : { ansible_user: user }];
    const vars: Lookup = (name) => {
      const layer = layers.find((l) => Object.prototype.hasOwnProperty.call(l, name));
      const value = (layer as Record<string, unknown> | undefined)?.[name];
      if (typeof value === 'string' && TEMPLATED.test(value)) throw new Error(`${name} is templated`);
      return value;
    };
    return { host, vars };
  });
}
