/**
 * Variable scopes: layers in Ansible's precedence, resolved lazily, each value
 * templated on first use with the same scope (variables may refer to others).
 */
import type { Inventory, Vars } from '../inventory/model.ts';
import { SECRET_NAME, type Redactor } from '../events/redact.ts';
import { renderDeep, renderString, TemplateError, type Lookup } from '../template/templar.ts';
import { unsafeReads } from '../template/nunjucks-env.ts';
import { carriesUnsafe } from '../yaml/scalars.ts';

/**
 * A lookup over `layers`, highest precedence first. The value of every
 * variable whose name marks it secret is handed to the redactor.
 */
const rawLayers = new WeakSet<object>();

/** Marks a layer whose values are used as they are, never templated (magic variables such as hostvars). */
export function rawLayer<T extends object>(layer: T): T {
  rawLayers.add(layer);
  return layer;
}

const rawKeys = new WeakMap<object, Set<string>>();

/**
 * Sets a variable whose value is used as it is, never templated again: a
 * registered result, gathered facts (Ansible marks them unsafe: a command's
 * output with `{{` in it stays text).
 */
export function setRaw(layer: Vars, name: string, value: unknown): void {
  layer[name] = value;
  let keys = rawKeys.get(layer);
  if (!keys) rawKeys.set(layer, (keys = new Set()));
  keys.add(name);
}

/** Sets variables that are templated when used (set_fact, include_vars), in place of raw ones of the same names. */
export function setTemplated(layer: Vars, values: Vars): void {
  Object.assign(layer, values);
  const keys = rawKeys.get(layer);
  if (keys) for (const k of Object.keys(values)) keys.delete(k);
}

export function scope(layers: (Vars | undefined)[], redactor?: Redactor): Lookup {
  const present = layers.filter((l): l is Vars => l !== undefined);
  const cache = new Map<string, unknown>();
  const busy = new Set<string>();
  const lookup: Lookup = (name) => {
    if (cache.has(name)) return cache.get(name);
    const layer = present.find((l) => Object.prototype.hasOwnProperty.call(l, name));
    if (!layer) return undefined;
    const raw = layer[name];
    if (rawLayers.has(layer)) return raw;
    if (rawKeys.get(layer)?.has(name)) {
      unsafeReads.count++;
      return raw;
    }
    if (busy.has(name)) throw new TemplateError(`recursive loop detected in template for variable '${name}'`, name);
    busy.add(name);
    try {
      if (carriesUnsafe(raw)) unsafeReads.count++;
      const value = renderDeep(raw, lookup);
      if (redactor && SECRET_NAME.test(name)) redactor.add(value);
      cache.set(name, value);
      return value;
    } finally {
      busy.delete(name);
    }
  };
  lookup.names = () => namesOf(present);
  return lookup;
}

/** Every variable name visible through the layers. */
export function namesOf(layers: (Vars | undefined)[]): string[] {
  const names = new Set<string>();
  for (const l of layers) if (l) for (const k of Object.keys(l)) names.add(k);
  return [...names];
}

/** `hostvars`: each host's variables, resolved lazily in that host's own scope. */
export function hostvarsProxy(hosts: string[], layersOf: (host: string) => (Vars | undefined)[], lookupOf: (host: string) => Lookup, implicit: string[] = []): Record<string, unknown> {
  const perHost = new Map<string, Record<string, unknown>>();
  const hostProxy = (h: string) => {
    let p = perHost.get(h);
    if (!p) {
      const lookup = lookupOf(h);
      // As Ansible's HostVarsVars: templated with fail_on_undefined=False, a string that names a variable
      // not in the host's scope (a role's vars) is kept as written.
      const valueOf = (key: string): unknown => {
        try {
          return lookup(key);
        } catch (e) {
          if (!(e instanceof TemplateError) || e.variable === undefined) throw e;
          const layer = layersOf(h).find((l) => l && Object.prototype.hasOwnProperty.call(l, key));
          return layer ? renderLenient(layer[key], lookup) : undefined;
        }
      };
      p = new Proxy({} as Record<string, unknown>, {
        get: (_t, key) => (typeof key === 'string' ? valueOf(key) : undefined),
        has: (_t, key) => typeof key === 'string' && valueOf(key) !== undefined,
        ownKeys: () => namesOf(layersOf(h)),
        getOwnPropertyDescriptor: (_t, key) => (typeof key === 'string' ? { enumerable: true, configurable: true, value: valueOf(key) } : undefined),
      });
      perHost.set(h, p);
    }
    return p;
  };
  // The implicit local host answers by name (hostvars['localhost']) without being one of the inventory's hosts.
  const known = (key: string | symbol): key is string => typeof key === 'string' && (hosts.includes(key) || implicit.includes(key));
  return new Proxy({} as Record<string, unknown>, {
    get: (_t, key) => (known(key) ? hostProxy(key) : undefined),
    has: (_t, key) => known(key),
    ownKeys: () => hosts,
    getOwnPropertyDescriptor: (_t, key) => (typeof key === 'string' && hosts.includes(key) ? { enumerable: true, configurable: true, value: hostProxy(key) } : undefined),
  });
}

/** Renders every string inside a value; a string naming an undefined variable stays as written. */
function renderLenient(value: unknown, lookup: Lookup): unknown {
  if (typeof value === 'string') {
    try {
      return renderString(value, lookup);
    } catch (e) {
      if (e instanceof TemplateError && e.variable !== undefined) return value;
      throw e;
    }
  }
  if (Array.isArray(value)) return value.map((v) => renderLenient(v, lookup));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderLenient(v, lookup)]));
  return value;
}

/** `groups`: every group's hosts (with `all` and `ungrouped`). */
export function groupsVar(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of inv.groups.keys()) out[g] = inv.hostsOfGroup(g);
  return out;
}

/** `group_names`: the host's groups, sorted, without `all` and `ungrouped`. */
export function groupNames(inv: Inventory, host: string): string[] {
  return inv
    .groupsOf(host)
    .map((g) => g.name)
    .filter((n) => n !== 'all' && n !== 'ungrouped')
    .sort();
}
