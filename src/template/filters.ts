/**
 * The Jinja2/Ansible filters and tests that playbooks in this field use, on
 * top of nunjucks' built-ins (default, join, trim, lower, upper, int, length,
 * first, last, list, replace, ...).
 */
import path from 'node:path';
import type nunjucks from 'nunjucks';
import { stringify as toYaml } from 'yaml';
import { shellQuote } from '../util/shell-quote.ts';

/** Python-flavoured regex → JS regex: named groups and inline flags. */
export function pyRegex(pattern: string, flags = ''): RegExp {
  let src = pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  return new RegExp(src, flags);
}

/** Python `re.sub` replacement syntax (`\1`, `\g<name>`) → JS (`$1`, `$<name>`). */
export function pyReplacement(repl: string): string {
  return repl
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<(\w+)>/g, '$$<$1>')
    .replace(/\\(\d{1,2})/g, '$$$1')
    .replace(/\\n/g, '\n')
    .replace(/\\\\/g, '\\');
}

/** Ansible's `bool` filter. */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 'y', 't'].includes(v.trim().toLowerCase());
  return false;
}

function regexFlags(kw: Record<string, unknown> | undefined): string {
  let f = '';
  if (kw?.ignorecase) f += 'i';
  if (kw?.multiline) f += 'm';
  return f;
}

type Kwargs = Record<string, unknown> & { __keywords?: boolean };
function kwargsOf(args: unknown[]): Kwargs | undefined {
  const last = args[args.length - 1] as Kwargs | undefined;
  return last && typeof last === 'object' && last.__keywords ? last : undefined;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge as Ansible's `combine(recursive=True)`; shallow otherwise. */
function combine(recursive: boolean, ...dicts: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of dicts) {
    for (const [k, v] of Object.entries(d ?? {})) {
      out[k] = recursive && isMapping(out[k]) && isMapping(v) ? combine(true, out[k] as Record<string, unknown>, v) : v;
    }
  }
  return out;
}

function attr(obj: unknown, name: string): unknown {
  let cur = obj;
  for (const part of name.split('.')) cur = cur == null ? undefined : (cur as Record<string, unknown>)[part];
  return cur;
}

export function installFilters(env: nunjucks.Environment, runTest: (name: string, value: unknown, args: unknown[]) => boolean): void {
  const f = (name: string, fn: (...args: any[]) => unknown) => env.addFilter(name, fn);

  f('bool', toBool);
  f('string', (v: unknown) => (v == null ? String(v === null ? 'None' : '') : typeof v === 'object' ? JSON.stringify(v) : String(v)));
  f('to_json', (v: unknown) => JSON.stringify(v));
  f('to_nice_json', (v: unknown, ...a: unknown[]) => JSON.stringify(v, null, Number(kwargsOf(a)?.indent ?? 4)));
  f('from_json', (v: string) => JSON.parse(v));
  f('to_yaml', (v: unknown) => toYaml(v));
  f('to_nice_yaml', (v: unknown) => toYaml(v, { indent: 4 }));
  f('b64encode', (v: string) => Buffer.from(String(v), 'utf8').toString('base64'));
  f('b64decode', (v: string) => Buffer.from(String(v), 'base64').toString('utf8'));
  f('regex_replace', (v: unknown, pattern: string, repl = '', ...rest: unknown[]) => {
    const kw = kwargsOf(rest);
    return String(v ?? '').replace(pyRegex(pattern, 'g' + regexFlags(kw)), pyReplacement(String(repl)));
  });
  f('regex_search', (v: unknown, pattern: string, ...rest: unknown[]) => {
    const kw = kwargsOf(rest);
    const m = pyRegex(pattern, regexFlags(kw)).exec(String(v ?? ''));
    if (!m) return null;
    const groups = rest.filter((a) => typeof a === 'string') as string[];
    if (groups.length === 0) return m[0];
    return groups.map((g) => (/^\\\d+$/.test(g) ? m[Number(g.slice(1))] : m.groups?.[g.replace(/^\\g<(\w+)>$/, '$1')]));
  });
  f('regex_findall', (v: unknown, pattern: string, ...rest: unknown[]) => {
    const re = pyRegex(pattern, 'g' + regexFlags(kwargsOf(rest)));
    return [...String(v ?? '').matchAll(re)].map((m) => (m.length > 2 ? m.slice(1) : m.length === 2 ? m[1] : m[0]));
  });
  f('regex_escape', (v: string) => String(v).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  f('quote', (v: unknown) => shellQuote(String(v ?? '')));
  f('basename', (v: string) => path.posix.basename(String(v)));
  f('dirname', (v: string) => path.posix.dirname(String(v)));
  f('splitext', (v: string) => { const e = path.posix.extname(String(v)); return [String(v).slice(0, String(v).length - e.length), e]; });
  f('mandatory', (v: unknown, msg?: string) => {
    if (v === undefined) throw new Error(msg ?? 'mandatory variable not defined');
    return v;
  });
  f('unique', (v: unknown[]) => [...new Set(v)]);
  f('flatten', function flatten(v: unknown[], levels?: number): unknown[] {
    return (v ?? []).flatMap((x) => (Array.isArray(x) && (levels === undefined || levels > 0) ? flatten(x, levels === undefined ? undefined : levels - 1) : [x]));
  });
  f('difference', (a: unknown[], b: unknown[]) => a.filter((x) => !b.includes(x)));
  f('intersect', (a: unknown[], b: unknown[]) => a.filter((x) => b.includes(x)));
  f('union', (a: unknown[], b: unknown[]) => [...new Set([...a, ...b])]);
  f('min', (a: number[]) => Math.min(...a));
  f('max', (a: number[]) => Math.max(...a));
  f('combine', (...args: unknown[]) => {
    const kw = kwargsOf(args);
    const dicts = (kw ? args.slice(0, -1) : args).flatMap((d) => (Array.isArray(d) ? d : [d])) as Record<string, unknown>[];
    return combine(Boolean(kw?.recursive), ...dicts);
  });
  f('dict2items', (d: Record<string, unknown>) => Object.entries(d ?? {}).map(([key, value]) => ({ key, value })));
  f('items2dict', (l: { key: string; value: unknown }[]) => Object.fromEntries((l ?? []).map((i) => [i.key, i.value])));
  f('zip', (a: unknown[], ...rest: unknown[][]) => a.map((x, i) => [x, ...rest.map((r) => r[i])]));
  f('map', (seq: unknown[], ...args: unknown[]) => {
    const kw = kwargsOf(args);
    const pos = kw ? args.slice(0, -1) : args;
    if (kw && typeof kw.attribute === 'string') return (seq ?? []).map((x) => attr(x, kw.attribute as string) ?? kw.default);
    const [name, ...fargs] = pos as [string, ...unknown[]];
    if (name === 'attribute') return (seq ?? []).map((x) => attr(x, String(fargs[0])));
    const filter = env.getFilter(name) as (...a: unknown[]) => unknown;
    return (seq ?? []).map((x) => filter(x, ...fargs));
  });
  const selectBy = (keep: boolean) => (seq: unknown[], testName?: string, ...args: unknown[]) =>
    (seq ?? []).filter((x) => (testName === undefined ? Boolean(x) : runTest(testName, x, args)) === keep);
  f('select', selectBy(true));
  f('reject', selectBy(false));
  const selectAttr = (keep: boolean) => (seq: unknown[], name: string, testName?: string, ...args: unknown[]) =>
    (seq ?? []).filter((x) => (testName === undefined ? Boolean(attr(x, name)) : runTest(testName, attr(x, name), args)) === keep);
  f('selectattr', selectAttr(true));
  f('rejectattr', selectAttr(false));
  f('ternary', (v: unknown, a: unknown, b: unknown) => (v ? a : b));
  f('type_debug', (v: unknown) => (v === null ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'dict' : typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Number.isInteger(v) ? 'int' : 'float'));
  f('split', (v: string, sep?: string) => (sep === undefined ? String(v).trim().split(/\s+/) : String(v).split(sep)));
  f('password_hash', () => { throw new Error('the password_hash filter is not supported'); });
}

export function installTests(env: nunjucks.Environment): void {
  const t = (name: string, fn: (...args: any[]) => boolean) => (env as unknown as { addTest(n: string, f: unknown): void }).addTest(name, fn);
  const status = (r: any) => (r && typeof r === 'object' ? r : {});
  t('defined', (v: unknown) => v !== undefined);
  t('undefined', (v: unknown) => v === undefined);
  t('none', (v: unknown) => v === null);
  t('string', (v: unknown) => typeof v === 'string');
  t('number', (v: unknown) => typeof v === 'number');
  t('integer', (v: unknown) => Number.isInteger(v));
  t('float', (v: unknown) => typeof v === 'number' && !Number.isInteger(v));
  t('boolean', (v: unknown) => typeof v === 'boolean');
  t('mapping', (v: unknown) => isMapping(v));
  t('sequence', (v: unknown) => Array.isArray(v) || typeof v === 'string');
  t('iterable', (v: unknown) => Array.isArray(v) || typeof v === 'string' || isMapping(v));
  t('match', (v: unknown, p: string, kw?: Kwargs) => pyRegex(`^(?:${p})`, regexFlags(kw)).test(String(v ?? '')));
  t('search', (v: unknown, p: string, kw?: Kwargs) => pyRegex(p, regexFlags(kw)).test(String(v ?? '')));
  t('regex', (v: unknown, p: string, kw?: Kwargs) => pyRegex(p, regexFlags(kw)).test(String(v ?? '')));
  t('in', (v: unknown, seq: unknown) => (Array.isArray(seq) || typeof seq === 'string' ? (seq as any).includes(v) : isMapping(seq) ? String(v) in seq : false));
  t('contains', (seq: unknown, v: unknown) => (Array.isArray(seq) ? seq.includes(v) : false));
  for (const n of ['failed', 'failure']) t(n, (r: unknown) => Boolean(status(r).failed));
  for (const n of ['succeeded', 'success']) t(n, (r: unknown) => !status(r).failed);
  for (const n of ['changed', 'change']) t(n, (r: unknown) => Boolean(status(r).changed));
  for (const n of ['skipped', 'skip']) t(n, (r: unknown) => Boolean(status(r).skipped));
  t('version', (v: unknown, other: unknown, op = 'eq') => {
    const a = String(v).split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
    const b = String(other).split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
    let cmp = 0;
    for (let i = 0; i < Math.max(a.length, b.length) && cmp === 0; i++) cmp = Math.sign((a[i] ?? 0) - (b[i] ?? 0));
    const ops: Record<string, boolean> = { '<': cmp < 0, lt: cmp < 0, '<=': cmp <= 0, le: cmp <= 0, '>': cmp > 0, gt: cmp > 0, '>=': cmp >= 0, ge: cmp >= 0, '==': cmp === 0, '=': cmp === 0, eq: cmp === 0, '!=': cmp !== 0, ne: cmp !== 0, '<>': cmp !== 0 };
    return ops[String(op)] ?? false;
  });
}

