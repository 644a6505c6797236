/**
 * Host patterns as Ansible reads them: names, groups, `all`, `*` globs,
 * `~regex`, `a:b` (union), `a:&b` (intersection), `a:!b` (exclusion),
 * `group[0]` and `group[1:3]` subscripts.
 */
import { InputError, type Location } from '../errors.ts';
import { suggest } from '../util/suggest.ts';
import type { Inventory } from './model.ts';
import { fnmatch } from '../util/fnmatch.ts';


/** Splits `a:b:&c:!d` or `a,b` into terms. */
export function splitPattern(pattern: string): string[] {
  const text = pattern.trim();
  if (text.includes(',')) return text.split(',').map((t) => t.trim()).filter(Boolean);
  const terms: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of text) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === ':' && depth === 0) {
      terms.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  terms.push(cur.trim());
  return terms;
}

function matchTerm(inv: Inventory, term: string, location?: Location): string[] {
  let sub: [number, number | undefined] | undefined;
  const subscript = /^(.+?)\[(-?\d+)(?::(-?\d*))?\]$/.exec(term);
  let name = term;
  if (subscript && !term.startsWith('~')) {
    name = subscript[1];
    const start = Number(subscript[2]);
    sub = subscript[3] === undefined ? [start, start] : [start, subscript[3] === '' ? undefined : Number(subscript[3])];
  }
  let hosts: string[];
  if (name.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(name.slice(1));
    } catch (e) {
      throw new InputError(`bad regular expression in host pattern '${term}': ${(e as Error).message}`, { location });
    }
    hosts = [...inv.hosts.keys()].filter((h) => re.test(h) || [...inv.groups.keys()].some((g) => re.test(g) && inv.hostsOfGroup(g).includes(h)));
  } else if (name.includes('*') || name.includes('?')) {
    const re = fnmatch(name);
    const set = new Set<string>();
    for (const g of inv.groups.keys()) if (re.test(g)) for (const h of inv.hostsOfGroup(g)) set.add(h);
    for (const h of inv.hosts.keys()) if (re.test(h)) set.add(h);
    hosts = [...inv.hosts.keys()].filter((h) => set.has(h));
  } else if (inv.groups.has(name)) {
    hosts = inv.hostsOfGroup(name);
  } else if (inv.hosts.has(name)) {
    hosts = [name];
  } else if (name === 'localhost' || name === '127.0.0.1') {
    hosts = [];
  } else {
    const known = [...inv.groups.keys(), ...inv.hosts.keys()];
    const near = suggest(name, known);
    throw new InputError(`host pattern '${term}' matches no host or group in the inventory`, {
      location,
      hint: near ? `did you mean '${near}'?` : `known groups: ${[...inv.groups.keys()].join(', ')}`,
    });
  }
  if (sub) {
    const [a, b] = sub;
    const from = a < 0 ? hosts.length + a : a;
    const to = b === undefined ? hosts.length - 1 : b < 0 ? hosts.length + b : b;
    hosts = hosts.slice(from, to + 1);
  }
  return hosts;
}

/** The hosts a pattern selects, in inventory order. */
export function selectHosts(inv: Inventory, pattern: string | string[], location?: Location): string[] {
  const terms = Array.isArray(pattern) ? pattern.map(String) : splitPattern(String(pattern));
  if (terms.length === 0 || terms.some((t) => t === '' || t === '!' || t === '&')) {
    throw new InputError(`host pattern '${Array.isArray(pattern) ? pattern.join(',') : pattern}' is malformed: an empty term`, {
      location,
      hint: "combine terms as 'a:b' (either), 'a:&b' (both) or 'a:!b' (a but not b)",
    });
  }
  const union = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'));
  const intersect = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1));
  const exclude = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1));
  const selected = new Set<string>();
  for (const t of union) for (const h of matchTerm(inv, t, location)) selected.add(h);
  if (union.length === 0) for (const h of inv.hosts.keys()) selected.add(h);
  for (const t of intersect) {
    const keep = new Set(matchTerm(inv, t, location));
    for (const h of [...selected]) if (!keep.has(h)) selected.delete(h);
  }
  for (const t of exclude) for (const h of matchTerm(inv, t, location)) selected.delete(h);
  return [...inv.hosts.keys()].filter((h) => selected.has(h));
}
