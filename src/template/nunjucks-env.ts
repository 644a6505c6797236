/**
 * The nunjucks environment as Jinja2 in Ansible behaves: only undefined
 * (not None) is an error, Python's str methods on strings, Ansible's filters,
 * tests and globals (lookup, range with a size limit, dict), compiled
 * templates cached.
 */
import { readFileSync } from 'node:fs';
import nunjucks from 'nunjucks';
import { installFilters, installTests } from './filters.ts';
import { TemplateError } from './template-error.ts';

nunjucks.installJinjaCompat();

// nunjucks throws on null as well as undefined when throwOnUndefined is set;
// Jinja2 prints None as empty in Ansible's non-native mode. Only undefined is an error.
const runtime = (nunjucks as unknown as { runtime: Record<string, unknown> }).runtime;
runtime.ensureDefined = (val: unknown, lineno: number, colno: number) => {
  if (val === undefined) {
    const err = new Error('undefined value') as Error & { lineno: number; colno: number; undefinedValue: true };
    err.lineno = lineno;
    err.colno = colno;
    err.undefinedValue = true;
    throw err;
  }
  return val;
};

// Python's str methods, which Jinja2 templates call (`x.startswith('a')`).
const STRING_METHODS: Record<string, (s: string, ...a: any[]) => unknown> = {
  startswith: (s, p: string | string[]) => (Array.isArray(p) ? p : [p]).some((x) => s.startsWith(x)),
  endswith: (s, p: string | string[]) => (Array.isArray(p) ? p : [p]).some((x) => s.endsWith(x)),
  split: (s, sep?: string, max?: number) => {
    const parts = sep === undefined || sep === null ? s.trim().split(/\s+/).filter(Boolean) : s.split(sep);
    return max === undefined || max < 0 ? parts : [...parts.slice(0, max), parts.slice(max).join(sep ?? ' ')].filter((_, i) => i <= max);
  },
  strip: (s, c?: string) => (c ? s.replace(new RegExp(`^[${c.replace(/[\]\\^-]/g, '\\$&')}]+|[${c.replace(/[\]\\^-]/g, '\\$&')}]+$`, 'g'), '') : s.trim()),
  lstrip: (s) => s.trimStart(),
  rstrip: (s) => s.trimEnd(),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  replace: (s, a: string, b: string) => s.split(a).join(b),
  find: (s, x: string) => s.indexOf(x),
  join: (s, items: unknown[]) => items.join(s),
  splitlines: (s) => s.split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== ''),
  isdigit: (s) => /^\d+$/.test(s),
};
const compatMemberLookup = runtime.memberLookup as (obj: unknown, val: string) => unknown;
runtime.memberLookup = (obj: unknown, val: string) => {
  if (typeof obj === 'string' && Object.prototype.hasOwnProperty.call(STRING_METHODS, val)) {
    return (...args: unknown[]) => STRING_METHODS[val](obj, ...args);
  }
  return compatMemberLookup(obj, val);
};

/** Python's repr of a value inside a container, as Jinja2 prints lists and dicts. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    return q + v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').split(q).join(`\\${q}`) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return `{${Object.entries(v as object).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

// Output as Jinja2 in Ansible prints it: True/False, lists and dicts as Python writes them,
// None as nothing (Ansible's finalize), everything else as its string.
runtime.suppressValue = (val: unknown) => {
  if (val === undefined || val === null) return '';
  if (typeof val === 'boolean' || Array.isArray(val) || (typeof val === 'object' && Object.getPrototypeOf(val) === Object.prototype)) return pyRepr(val);
  return val;
};

/**
 * Jinja2's `x.0` (an index written as an attribute, `result.results.0.stdout`)
 * as nunjucks reads it, `x[0]`: inside template tags only, never in strings.
 */
export function pythonIndexes(src: string): string {
  if (!/\.\d/.test(src)) return src;
  let out = '';
  let i = 0;
  while (i < src.length) {
    const open = src.slice(i).search(/\{\{|\{%/);
    if (open < 0) {
      out += src.slice(i);
      break;
    }
    out += src.slice(i, i + open + 2);
    i += open + 2;
    const closeTag = src[i - 1] === '{' ? '}}' : '%}';
    let expr = '';
    let quote = '';
    while (i < src.length && !(quote === '' && src.startsWith(closeTag, i))) {
      const c = src[i];
      if (quote) {
        if (c === '\\') {
          expr += c + (src[i + 1] ?? '');
          i += 2;
          continue;
        }
        if (c === quote) quote = '';
      } else if (c === "'" || c === '"') quote = c;
      expr += c;
      i++;
    }
    // Outside string literals: NAME.0 / ].0 / ).0 become [0].
    out += expr.replace(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|((?:(?<![\w.])[A-Za-z_]\w*|[\])])(?:\.[A-Za-z_]\w*)*)((?:\.\d+(?![\w]))+)/g, (_m, str, head, idx) => (str ? str : head + idx.replace(/\.(\d+)/g, '[$1]')));
  }
  return out;
}

export const BaseFrame = runtime.Frame as new (parent?: unknown, isolate?: boolean) => { variables: Record<string, unknown>; lookup(name: string): unknown };

export const env = new nunjucks.Environment(undefined, { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: false });
installTests(env);
installFilters(env, (name, value, args) => {
  const test = (env as unknown as { getTest(n: string): (...a: unknown[]) => boolean }).getTest(name);
  if (!test) throw new TemplateError(`no test named '${name}'`);
  return Boolean(test(value, ...args));
});
env.addGlobal('lookup', (plugin: string, ...terms: unknown[]) => {
  if (plugin === 'env') return terms.map((t) => process.env[String(t)] ?? '').join(',');
  if (plugin === 'file') return terms.map((t) => readFileSync(String(t), 'utf8').replace(/\n$/, '')).join(',');
  throw new TemplateError(`lookup plugin '${plugin}' is not supported (supported: env, file)`);
});
/** Items a template may make with range() at once: more would exhaust memory before it failed. */
export const MAX_RANGE = 1_000_000;
env.addGlobal('range', (start: number, stop?: number, step = 1) => {
  if (stop === undefined) [start, stop] = [0, start];
  if (![start, stop, step].every(Number.isInteger)) throw new TemplateError('range() takes whole numbers');
  if (step === 0) throw new TemplateError('range() arg 3 must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE) throw new TemplateError(`range(${start}, ${stop}${step !== 1 ? `, ${step}` : ''}) would make ${count} items; jitsi-fleet allows at most ${MAX_RANGE} in one template`);
  return Array.from({ length: count }, (_, i) => start + i * step);
});
env.addGlobal('dict', (...args: unknown[]) => {
  const kw = args[args.length - 1] as Record<string, unknown> | undefined;
  const { __keywords, ...rest } = (kw ?? {}) as Record<string, unknown>;
  return rest;
});

const compiled = new Map<string, nunjucks.Template>();
export function compile(src: string): nunjucks.Template {
  let t = compiled.get(src);
  if (!t) {
    try {
      t = new nunjucks.Template(pythonIndexes(src), env, undefined, true);
    } catch (e) {
      throw new TemplateError(`template syntax error: ${cleanMessage(e)}`);
    }
    if (compiled.size > 5000) compiled.clear();
    compiled.set(src, t);
  }
  return t;
}

export function cleanMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/^\(unknown path\)\s*/, '').replace(/\s*\[Line \d+, Column \d+\]\s*/g, ' ').replace(/\s+/g, ' ').trim().replace(/^(?:Template render error: )?(?:Error: )+/, '');
}


/** True for the names of the environment's globals (lookup, range, dict). */
export function isGlobal(name: string): boolean {
  return name in (env as unknown as { globals: object }).globals;
}
