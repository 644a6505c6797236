/**
 * The Jinja2/Ansible filters and tests that playbooks in this field use, on
 * top of nunjucks' built-ins (default, join, trim, lower, upper, int, length,
 * first, last, list, replace, ...).
 */
import { versionCompare } from './versions.ts';
import { pyEqual, pyIn } from './nunjucks-env.ts';
import { existsSync, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import type nunjucks from 'nunjucks';
import { createHash, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { parse as parseYamlText, parseAllDocuments, stringify as toYaml } from 'yaml';
import { shellQuote } from '../util/shell-quote.ts';
import { globFiles } from '../util/fnmatch.ts';
import { pyJsonDumps } from '../util/py-json.ts';
import jmespath from 'jmespath';
import { encrypt } from 'unixcrypt';
import { TemplateError } from './template-error.ts';
import { pyStr, pyTypeName } from './py-repr.ts';

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

const REPLACEMENT_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/** Python `re.sub` replacement syntax (`\1`, `\g<name>`, `\\` a backslash, `\n`) → JS (`$1`, `$<name>`), read left to right as Python does. */
export function pyReplacement(repl: string): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c === '$') out += '$$';
    else if (c !== '\\' || i + 1 === repl.length) out += c;
    else {
      const rest = repl.slice(i + 1);
      const m = /^g<(\d+)>/.exec(rest) ?? /^g<(\w+)>/.exec(rest) ?? /^(\d{1,2})/.exec(rest);
      if (m) {
        out += /^\d+$/.test(m[1]) ? `$${m[1]}` : `$<${m[1]}>`;
        i += m[0].length;
      } else {
        out += REPLACEMENT_ESCAPES[rest[0]] ?? `\\${rest[0]}`;
        i += 1;
      }
    }
  }
  return out;
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

/** What Python iterates in a value: a list's items, a string's characters, a dict's keys; else Python's TypeError. */
function pyItems(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  throw new TemplateError(`'${pyTypeName(v)}' object is not iterable`);
}

/**
 * Ansible 2.14's `unique`: Jinja's do_unique (a set of the items, strings compared without case unless
 * case_sensitive, by an attribute if named), and where that fails on an item Python cannot hash (a dict,
 * a list), Ansible's own (by value, first kept), unless case_sensitive=False or attribute was asked for.
 */
function unique(v: unknown, caseSensitive?: unknown, attribute?: string): unknown[] {
  const items = pyItems(v);
  const key = (x: unknown) => {
    const k = attribute === undefined ? x : attr(x, attribute);
    return typeof k === 'string' && !caseSensitive ? k.toLowerCase() : k;
  };
  if (!items.some((x) => { const k = key(x); return k !== null && typeof k === 'object'; })) {
    const seen: unknown[] = [];
    return items.filter((x) => { const k = key(x); if (seen.some((s) => pyEqual(s, k))) return false; seen.push(k); return true; });
  }
  if (caseSensitive === false || attribute) {
    throw new TemplateError("Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support the parameters supplied");
  }
  const out: unknown[] = [];
  for (const x of items) if (!pyIn(x, out)) out.push(x);
  return out;
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

/**
 * A value as JSON can hold it: hostvars (which holds itself, through each
 * host's magic variables) and other cycles are cut; deeper than 32 levels is cut too.
 */
export function plain(v: unknown, seen: Set<unknown> = new Set(), depth = 0): unknown {
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  if (seen.has(v) || depth > 32) return undefined;
  seen.add(v);
  let out: unknown;
  if (Array.isArray(v)) out = v.map((x) => plain(x, seen, depth + 1) ?? null);
  else {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (depth > 0 && k === 'hostvars') continue;
      const p = plain(x, seen, depth + 1);
      if (p !== undefined) o[k] = p;
    }
    out = o;
  }
  seen.delete(v);
  return out;
}

const CRYPT_IDS: Record<string, string> = { sha512: '6', sha512_crypt: '6', sha256: '5', sha256_crypt: '5' };
const SALT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./';

/**
 * Ansible's password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None) as it works
 * without passlib (crypt(3)'s SHA-crypt): `$6$salt$hash`, `$6$rounds=N$salt$hash` with rounds; a
 * random salt of 16 characters when none is given (a new hash each run, as Ansible's).
 */
export function passwordHash(secret: unknown, ...args: unknown[]): string {
  const kw = kwargsOf(args) ?? {};
  const pos = args.filter((a) => !(a && typeof a === 'object' && (a as Kwargs).__keywords));
  const type = String(kw.hashtype ?? pos[0] ?? 'sha512');
  const id = CRYPT_IDS[type];
  if (!id) throw new TemplateError(`password_hash: the hash type '${type}' is not supported by jitsi-fleet (sha512 or sha256)`);
  let salt = kw.salt ?? pos[1];
  if (salt === undefined || salt === null) {
    const size = Number(kw.salt_size ?? pos[2] ?? 16);
    salt = Array.from(randomBytes(size), (b) => SALT_CHARS[b % SALT_CHARS.length]).join('');
  }
  if (!/^[./0-9A-Za-z]*$/.test(String(salt))) throw new TemplateError('invalid characters in salt');
  const rounds = kw.rounds ?? pos[3];
  return encrypt(String(secret), `$${id}$${rounds === undefined || rounds === null ? '' : `rounds=${Number(rounds)}$`}${String(salt).slice(0, 16)}`);
}

/** Ansible's json_query: a JMESPath expression over the value. */
export function jsonQuery(value: unknown, expr: unknown): unknown {
  try {
    return jmespath.search(plain(value), String(expr));
  } catch (e) {
    throw new TemplateError(`JMESPathError in json_query filter plugin:\n${(e as Error).message}`);
  }
}


function attr(obj: unknown, name: string): unknown {
  let cur = obj;
  for (const part of name.split('.')) cur = cur == null ? undefined : (cur as Record<string, unknown>)[part];
  return cur;
}

export function installFilters(env: nunjucks.Environment, runTest: (name: string, value: unknown, args: unknown[]) => boolean): void {
  const f = (name: string, fn: (...args: any[]) => unknown) => env.addFilter(name, fn);

  f('bool', toBool);
  // Jinja's float: Python's float(), else the default (nan and inf spelled out read as such).
  f('float', (v: unknown, def: unknown = 0) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return Number(v);
    if (typeof v !== 'string') return def;
    const t = v.trim().toLowerCase();
    const named: Record<string, number> = { nan: NaN, '+nan': NaN, '-nan': NaN, inf: Infinity, '+inf': Infinity, infinity: Infinity, '+infinity': Infinity, '-inf': -Infinity, '-infinity': -Infinity };
    if (t in named) return named[t];
    return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) ? Number(t) : def;
  });
  f('string', (v: unknown) => (v == null ? String(v === null ? 'None' : '') : typeof v === 'object' ? JSON.stringify(plain(v)) : String(v)));
  // Python's json.dumps, as Ansible's: the same bytes (", " between items, non-ASCII as \uXXXX).
  const jsonOpts = (kw: Kwargs | undefined, nice: boolean) => ({
    sortKeys: toBool(kw?.sort_keys ?? nice),
    indent: kw?.indent !== undefined && kw.indent !== null ? Number(kw.indent) : nice ? 4 : undefined,
    ensureAscii: kw?.ensure_ascii === undefined ? true : toBool(kw.ensure_ascii),
    ...(nice ? { separators: [',', ': '] as [string, string] } : {}),
  });
  f('to_json', (v: unknown, ...a: unknown[]) => pyJsonDumps(plain(v), jsonOpts(kwargsOf(a), false)));
  f('to_nice_json', (v: unknown, ...a: unknown[]) => pyJsonDumps(plain(v), jsonOpts(kwargsOf(a), true)));
  // Ansible's random: an item of a list, or a number below an end (start, step as keywords).
  f('random', (v: unknown, ...a: unknown[]) => {
    const kw = kwargsOf(a) ?? {};
    if (Array.isArray(v) || typeof v === 'string') {
      if (v.length === 0) throw new Error('random: the sequence is empty');
      return v[Math.floor(Math.random() * v.length)];
    }
    if (typeof v === 'number' && Number.isInteger(v)) {
      const start = Number(kw.start ?? 0);
      const step = Number(kw.step ?? 1);
      const count = Math.ceil((v - start) / step);
      if (count <= 0) throw new Error(`random: empty range for end ${v}`);
      return start + Math.floor(Math.random() * count) * step;
    }
    throw new Error(`random needs a list or a whole number, got ${v === null ? 'None' : typeof v}`);
  });
  // Jinja2 3's indent (nunjucks' indents blank lines too): blank lines stay empty unless blank=True,
  // first=True indents the first line, width may be the indent text itself.
  f('indent', (v: unknown, ...a: unknown[]) => {
    const kw = kwargsOf(a);
    const pos = kw ? a.slice(0, -1) : a;
    const width = kw?.width ?? pos[0] ?? 4;
    const first = toBool(kw?.first ?? kw?.indentfirst ?? pos[1] ?? false);
    const blank = toBool(kw?.blank ?? pos[2] ?? false);
    const ind = typeof width === 'string' ? width : ' '.repeat(Number(width));
    // Python's str.splitlines() of the text with a newline added (Jinja's own quirk).
    const lines = `${v ?? ''}\n`.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
    lines.pop();
    const rv = blank ? lines.join(`\n${ind}`) : [lines[0], ...lines.slice(1).map((l) => (l ? ind + l : l))].join('\n');
    return first ? ind + rv : rv;
  });
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
  // Ansible's fileglob filter: files on the controller a pattern names (the fileglob lookup also searches files/).
  f('fileglob', (v: unknown) => globFiles(String(v)));
  f('basename', (v: string) => path.posix.basename(String(v)));
  f('dirname', (v: string) => path.posix.dirname(String(v)));
  f('splitext', (v: string) => { const e = path.posix.extname(String(v)); return [String(v).slice(0, String(v).length - e.length), e]; });
  f('mandatory', (v: unknown, msg?: string) => {
    if (v === undefined) throw new Error(msg ?? 'mandatory variable not defined');
    return v;
  });
  f('unique', (v: unknown, ...args: unknown[]) => {
    const kw = kwargsOf(args) ?? {};
    const pos = kw.__keywords ? args.slice(0, -1) : args;
    return unique(v, kw.case_sensitive ?? pos[0], (kw.attribute ?? pos[1]) as string | undefined);
  });
  f('flatten', function flatten(v: unknown[], levels?: number): unknown[] {
    return (v ?? []).flatMap((x) => (Array.isArray(x) && (levels === undefined || levels > 0) ? flatten(x, levels === undefined ? undefined : levels - 1) : [x]));
  });
  // Ansible 2.14's mathstuff on lists (not hashable in Python): membership by value, then unique(case_sensitive=True).
  f('difference', (a: unknown, b: unknown) => unique(pyItems(a).filter((x) => !pyIn(x, pyItems(b))), true));
  f('intersect', (a: unknown, b: unknown) => unique(pyItems(a).filter((x) => pyIn(x, pyItems(b))), true));
  f('union', (a: unknown, b: unknown) => unique([...pyItems(a), ...pyItems(b)], true));
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
  f('type_debug', pyTypeName);
  f('split', (v: string, sep?: string) => (sep === undefined ? String(v).trim().split(/\s+/) : String(v).split(sep)));
  // The rest of Ansible's everyday filters.
  f('extract', (key: unknown, container: any, morekeys?: unknown) => {
    let v = container?.[key as string];
    for (const k of morekeys === undefined ? [] : Array.isArray(morekeys) ? morekeys : [morekeys]) v = v?.[k as string];
    return v;
  });
  const digest = (algo: string) => (v: unknown) => createHash(algo === 'sha' ? 'sha1' : algo).update(String(v ?? '')).digest('hex');
  f('hash', (v: unknown, algo = 'sha1') => digest(String(algo))(v));
  f('checksum', digest('sha1'));
  f('password_hash', passwordHash);
  f('json_query', jsonQuery);
  f('sha1', digest('sha1'));
  f('md5', digest('md5'));
  f('from_yaml', (v: string) => (typeof v === 'string' ? parseYamlText(v) : v));
  f('from_yaml_all', (v: string) => parseAllDocuments(String(v)).map((d) => d.toJS()));
  f('strftime', (fmt: string, seconds?: number) => strftime(String(fmt), seconds === undefined ? new Date() : new Date(Number(seconds) * 1000)));
  f('expanduser', (v: string) => String(v).replace(/^~(?=$|\/)/, homedir()));
  f('expandvars', (v: string) => String(v).replace(/\$\{?(\w+)\}?/g, (m, n: string) => process.env[n] ?? m));
  f('realpath', (v: string) => path.posix.resolve(String(v)));
  f('relpath', (v: string, start: string) => path.posix.relative(String(start), String(v)));
  f('win_basename', (v: string) => String(v).split(/[\\/]/).pop());
  f('product', (...lists: unknown[][]) => lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => (l ?? []).map((x) => [...a, x])), [[]]));
  f('zip_longest', (...args: unknown[]) => {
    const kw = kwargsOf(args);
    const lists = (kw ? args.slice(0, -1) : args) as unknown[][];
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : kw?.fillvalue ?? null)));
  });
  f('shuffle', (v: unknown[]) => [...(v ?? [])].sort(() => Math.random() - 0.5));
  f('log', (v: number, base?: number) => (base === undefined ? Math.log(v) : Math.log(v) / Math.log(base)));
  f('pow', (v: number, e: number) => Math.pow(v, e));
  f('root', (v: number, n = 2) => (n === 2 ? Math.sqrt(v) : Math.pow(v, 1 / n)));
  f('symmetric_difference', (a: unknown, b: unknown) => {
    const both = unique(pyItems(a).filter((x) => pyIn(x, pyItems(b))), true);
    return unique([...pyItems(a), ...pyItems(b)], true).filter((x) => !pyIn(x, both));
  });
  f('subelements', (list: Record<string, unknown>[], key: string) => (list ?? []).flatMap((el) => ((el?.[key] as unknown[]) ?? []).map((s) => [el, s])));
  f('to_datetime', (v: string, fmt = '%Y-%m-%d %H:%M:%S') => parseDate(String(v), String(fmt)));
  f('comment', (v: string, style = 'plain') => {
    const prefix = style === 'c' || style === 'cblock' ? '// ' : style === 'erlang' ? '% ' : '# ';
    return `${prefix.trim()}\n${String(v).split('\n').map((l) => `${prefix}${l}`.trimEnd()).join('\n')}\n${prefix.trim()}`;
  });
  f('human_readable', (v: number) => {
    const units = ['Bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
    let n = Number(v);
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n.toFixed(2)} ${units[i]}`;
  });
  f('to_uuid', (v: string) => {
    const h = createHash('sha1').update(Buffer.from('361E6D51FAEC444A9448A6D1D26F8A19'.toLowerCase().replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1$2$3$4$5'), 'hex')).update(String(v)).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  });
  f('items', (d: Record<string, unknown>) => Object.entries(d ?? {}));
}

/** Python's time.strftime for the common directives (and %f, microseconds, as datetime's). */
export function strftime(fmt: string, d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const map: Record<string, () => string> = {
    Y: () => String(d.getFullYear()), y: () => p(d.getFullYear() % 100), m: () => p(d.getMonth() + 1), d: () => p(d.getDate()),
    H: () => p(d.getHours()), M: () => p(d.getMinutes()), S: () => p(d.getSeconds()), j: () => p(Math.floor((d.getTime() - new Date(d.getFullYear(), 0, 1).getTime()) / 86400000) + 1, 3),
    a: () => days[d.getDay()].slice(0, 3), A: () => days[d.getDay()], b: () => months[d.getMonth()].slice(0, 3), B: () => months[d.getMonth()],
    s: () => String(Math.floor(d.getTime() / 1000)), z: () => { const o = -d.getTimezoneOffset(); return `${o < 0 ? '-' : '+'}${p(Math.floor(Math.abs(o) / 60))}${p(Math.abs(o) % 60)}`; },
    Z: () => Intl.DateTimeFormat().resolvedOptions().timeZone, '%': () => '%', I: () => p(d.getHours() % 12 || 12), p: () => (d.getHours() < 12 ? 'AM' : 'PM'),
    e: () => String(d.getDate()).padStart(2, ' '), F: () => `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`, T: () => `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`,
    w: () => String(d.getDay()), u: () => String(d.getDay() || 7), f: () => p(d.getMilliseconds() * 1000, 6),
  };
  return fmt.replace(/%(.)/g, (m, c: string) => (map[c] ? map[c]() : m));
}

/** A Python datetime as Ansible's `now()` gives it: strftime, timestamp, isoformat, and printed as Python prints one. */
export class PyDatetime extends Date {
  strftime(fmt: string): string {
    return strftime(String(fmt), this);
  }

  timestamp(): number {
    return this.getTime() / 1000;
  }

  isoformat(): string {
    return strftime('%Y-%m-%dT%H:%M:%S.%f', this);
  }

  get year(): number {
    return this.getFullYear();
  }

  override toString(): string {
    return strftime('%Y-%m-%d %H:%M:%S.%f', this);
  }
}

/** Ansible's `now(utc=False, fmt=None)`: the time now, as a datetime or (with fmt) formatted. */
export function now(...args: unknown[]): PyDatetime | string {
  const last = args[args.length - 1] as Kwargs | undefined;
  const kw = last && typeof last === 'object' && last.__keywords ? last : undefined;
  const pos = kw ? args.slice(0, -1) : args;
  const utc = toBool(kw?.utc ?? pos[0] ?? false);
  const fmt = kw?.fmt ?? pos[1];
  const d = new PyDatetime();
  // utc: the same instant, its fields read as UTC (shifted by the local offset, as a naive UTC datetime).
  if (utc) d.setTime(d.getTime() + d.getTimezoneOffset() * 60000);
  return fmt === undefined || fmt === null ? d : strftime(String(fmt), d);
}

/** Python's datetime.strptime for %Y %m %d %H %M %S; the result prints as Python prints a datetime. */
export function parseDate(text: string, fmt: string): Date {
  const fields: string[] = [];
  const re = new RegExp('^' + fmt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%([YmdHMS])/g, (_m, c: string) => { fields.push(c); return c === 'Y' ? '(\\d{4})' : '(\\d{1,2})'; }) + '$');
  const m = re.exec(text);
  if (!m) throw new Error(`time data '${text}' does not match format '${fmt}'`);
  const v: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  fields.forEach((c, i) => (v[c] = Number(m[i + 1])));
  return new Date(v.Y, v.m - 1, v.d, v.H, v.M, v.S);
}

/** Python's truth of a value: empty text, lists and mappings, 0, None and False are false. */
export function pyTruth(v: unknown): boolean {
  if (Array.isArray(v) || typeof v === 'string') return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  if (typeof v === 'number') return v !== 0; // NaN is true, as in Python
  return Boolean(v);
}

export function installTests(env: nunjucks.Environment): void {
  const t = (name: string, fn: (...args: any[]) => boolean) => (env as unknown as { addTest(n: string, f: unknown): void }).addTest(name, fn);
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
  // The value as Python's str() gives it (a result dict is searched as its text, as Ansible's to_text does).
  const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : pyStr(v));
  t('match', (v: unknown, p: string, kw?: Kwargs) => pyRegex(`^(?:${p})`, regexFlags(kw)).test(text(v)));
  t('search', (v: unknown, p: string, kw?: Kwargs) => pyRegex(p, regexFlags(kw)).test(text(v)));
  t('regex', (v: unknown, p: string, kw?: Kwargs) => pyRegex(p, regexFlags(kw)).test(text(v)));
  t('in', (v: unknown, seq: unknown) => pyIn(v, seq));
  // Python's `v in seq`, as the `in` operator: an item of a list (by value), a piece of a text, a key of a mapping.
  t('contains', (seq: unknown, v: unknown) => pyIn(v, seq));
  // Tests of a task's result, as Ansible's core tests: anything but a mapping is an error.
  const result = (name: string, r: unknown): Record<string, unknown> => {
    if (!isMapping(r)) throw new Error(`The '${name}' test expects a dictionary`);
    return r;
  };
  for (const n of ['failed', 'failure']) t(n, (r: unknown) => pyTruth(result('failed', r).failed));
  for (const n of ['succeeded', 'success', 'successful']) t(n, (r: unknown) => !pyTruth(result('failed', r).failed));
  t('unreachable', (r: unknown) => pyTruth(result('unreachable', r).unreachable));
  t('reachable', (r: unknown) => !pyTruth(result('unreachable', r).unreachable));
  for (const n of ['changed', 'change'])
    t(n, (r: unknown) => {
      const res = result('changed', r);
      // Without its own `changed`, a looped result is changed when one of its items is.
      if (!('changed' in res)) return Array.isArray(res.results) && isMapping(res.results[0]) && res.results.some((i) => isMapping(i) && pyTruth(i.changed));
      return pyTruth(res.changed);
    });
  for (const n of ['skipped', 'skip']) t(n, (r: unknown) => pyTruth(result('skipped', r).skipped));
  // Async: 0 or 1 in the result; a task that was not async counts as started and finished.
  for (const n of ['finished', 'started'] as const) t(n, (r: unknown) => { const res = result(n, r); return n in res ? res[n] == 1 : true; });
  // Python's truth, optionally after Ansible's strict boolean reading of yes/no/on/off... (anything else is left as it is).
  const truthy = (v: unknown, ...args: unknown[]) => {
    const kw = kwargsOf(args) ?? {};
    const convert = args.find((a) => !(a && typeof a === 'object' && (a as Kwargs).__keywords)) ?? kw.convert_bool;
    if (pyTruth(convert)) {
      const k = typeof v === 'string' ? v.toLowerCase() : v;
      if (['y', 'yes', 'on', '1', 'true', 't', 1, true].includes(k as never)) return true;
      if (['n', 'no', 'off', '0', 'false', 'f', 0, false].includes(k as never)) return false;
    }
    return pyTruth(v);
  };
  t('truthy', truthy);
  t('falsy', (v: unknown, ...args: unknown[]) => !truthy(v, ...args));
  // Vault is not supported: only a value still in its vault envelope can be one.
  t('vault_encrypted', (v: unknown) => typeof v === 'string' && v.startsWith('$ANSIBLE_VAULT;'));
  t('any', (v: unknown[]) => (v ?? []).some(Boolean));
  t('all', (v: unknown[]) => (v ?? []).every(Boolean));
  // Set tests by Python's equality (the old names too).
  const within = (a: unknown[], b: unknown[]) => (a ?? []).every((x) => (b ?? []).some((y) => pyEqual(x, y)));
  for (const n of ['subset', 'issubset']) t(n, within);
  for (const n of ['superset', 'issuperset']) t(n, (a: unknown[], b: unknown[]) => within(b, a));
  t('abs', (v: unknown) => String(v).startsWith('/'));
  // On the controller, as Ansible's (not the managed host).
  t('exists', (v: unknown) => existsSync(String(v)));
  t('file', (v: unknown) => { try { return statSync(String(v)).isFile(); } catch { return false; } });
  t('directory', (v: unknown) => { try { return statSync(String(v)).isDirectory(); } catch { return false; } });
  t('link', (v: unknown) => { try { return lstatSync(String(v)).isSymbolicLink(); } catch { return false; } });
  t('mount', (v: unknown) => { try { return String(v) === '/' || statSync(String(v)).dev !== statSync(path.dirname(String(v))).dev; } catch { return false; } });
  // As Python's os.path.samefile: a path that does not exist is an error.
  t('same_file', (a: unknown, b: unknown) => { const x = statSync(String(a)); const y = statSync(String(b)); return x.ino === y.ino && x.dev === y.dev; });
  t('link_exists', (v: unknown) => { try { lstatSync(String(v)); return true; } catch { return false; } });
  for (const n of ['nan', 'isnan']) t(n, (v: unknown) => typeof v === 'number' && Number.isNaN(v));
  t('inf', (v: unknown) => v === Infinity || v === -Infinity);
  // version(other, operator='eq', strict=None, version_type=None): positional or by name.
  const versionTest = (v: unknown, ...args: unknown[]) => {
    const kw = kwargsOf(args) ?? {};
    const pos = args.filter((a) => !(a && typeof a === 'object' && (a as Kwargs).__keywords));
    return versionCompare(v, pos[0] ?? kw.version, pos[1] ?? kw.operator ?? 'eq', pos[2] ?? kw.strict, pos[3] ?? kw.version_type);
  };
  t('version', versionTest);
  t('version_compare', versionTest);
  // The old names Ansible still takes.
  for (const [old, now] of [['is_abs', 'abs'], ['is_file', 'file'], ['is_dir', 'directory'], ['is_link', 'link'], ['is_mount', 'mount'], ['is_same_file', 'same_file']]) t(old, (env as unknown as { getTest(n: string): (...a: any[]) => boolean }).getTest(now));
}

