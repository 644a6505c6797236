/**
 * Jinja2-style templating through nunjucks, with Ansible's habits:
 * variables are templates themselves and are resolved lazily, a string that
 * is exactly one `{{ expr }}` yields the expression's native value, and an
 * undefined variable is an error that names it.
 */
import { readFileSync } from 'node:fs';
import nunjucks from 'nunjucks';
import { installFilters, installTests, toBool } from './filters.ts';

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

const BaseFrame = runtime.Frame as new (parent?: unknown, isolate?: boolean) => { variables: Record<string, unknown>; lookup(name: string): unknown };

import type { Lookup } from '../util/lookup.ts';

export type { Lookup };

/** Raised for a template that cannot be rendered; `variable` names what was undefined. */
export class TemplateError extends Error {
  constructor(message: string, readonly variable?: string) {
    super(message);
  }
}

const env = new nunjucks.Environment(undefined, { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: false });
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
function compile(src: string): nunjucks.Template {
  let t = compiled.get(src);
  if (!t) {
    try {
      t = new nunjucks.Template(src, env, undefined, true);
    } catch (e) {
      throw new TemplateError(`template syntax error: ${cleanMessage(e)}`);
    }
    if (compiled.size > 5000) compiled.clear();
    compiled.set(src, t);
  }
  return t;
}

function cleanMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/^\(unknown path\)\s*/, '').replace(/\s*\[Line \d+, Column \d+\]\s*/g, ' ').replace(/\s+/g, ' ').trim().replace(/^(?:Template render error: )?(?:Error: )+/, '');
}

const SINGLE = /^\s*\{\{((?:(?!\{\{|\}\}).)*)\}\}\s*$/s;
const CONSTANTS = new Set(['True', 'False', 'None', 'true', 'false', 'none', 'loop']);

/** True when a string holds template syntax. */
export function isTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
}

type AstNode = { typename: string; fields?: string[]; value?: unknown; [k: string]: unknown };

/**
 * Finds a variable an expression uses while it is undefined, skipping what
 * `default`, `is defined` and the like guard, and untaken ternary branches.
 */
function findUndefined(node: AstNode | undefined, lookup: Lookup, bound: Set<string>): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const visit = (n: unknown) => findUndefined(n as AstNode, lookup, bound);
  switch (node.typename) {
    case 'Symbol': {
      const name = String(node.value);
      if (bound.has(name) || CONSTANTS.has(name) || name in (env as unknown as { globals: object }).globals) return undefined;
      return lookup(name) === undefined ? name : undefined;
    }
    case 'LookupVal': {
      const chain: string[] = [];
      let cur: AstNode | undefined = node;
      while (cur && cur.typename === 'LookupVal') {
        const val = cur.val as AstNode;
        if (val.typename !== 'Literal') return visit(cur.target) ?? visit(val);
        chain.unshift(String(val.value));
        cur = cur.target as AstNode;
      }
      if (!cur || cur.typename !== 'Symbol') return visit(cur);
      const base = String(cur.value);
      if (bound.has(base) || CONSTANTS.has(base)) return undefined;
      let value = lookup(base);
      if (value === undefined) return base;
      let name = base;
      for (const key of chain) {
        if (value === null || typeof value !== 'object') return undefined; // methods on strings etc.
        const next = (value as Record<string, unknown>)[key];
        name += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
        if (next === undefined) {
          if (Array.isArray(value) || key in Object.getPrototypeOf(value ?? {})) return undefined;
          return name;
        }
        value = next;
      }
      return undefined;
    }
    case 'Filter': {
      const fname = String((node.name as AstNode).value);
      const args = (node.args as AstNode).children as AstNode[];
      if (fname === 'default' || fname === 'd' || fname === 'mandatory') return args.slice(1).map(visit).find(Boolean);
      return args.map(visit).find(Boolean);
    }
    case 'Is': {
      const test = String((node.right as AstNode).value ?? ((node.right as AstNode).name as AstNode)?.value);
      if (['defined', 'undefined', 'none'].includes(test)) return undefined;
      const right = node.right as AstNode;
      const testArgs = right.typename === 'FunCall' ? (((right.args as AstNode).children as AstNode[]) ?? []) : [];
      return visit(node.left) ?? testArgs.map(visit).find(Boolean);
    }
    case 'InlineIf': {
      return visit(node.cond);
    }
    case 'And':
    case 'Or': {
      const left = visit(node.left);
      if (left) return left;
      if (JSON.stringify(simplify(node.left as AstNode)).includes('"defined"')) return undefined;
      return visit(node.right);
    }
    case 'For': {
      const names = collectNames(node.name as AstNode);
      const inner = new Set([...bound, ...names, 'loop']);
      return visit(node.arr) ?? findUndefined(node.body as AstNode, lookup, inner);
    }
    case 'Set': {
      for (const t of (node.targets as AstNode[]) ?? []) bound.add(String(t.value));
      return visit(node.value);
    }
    case 'FunCall': {
      const args = (node.args as AstNode).children as AstNode[];
      if ((node.name as AstNode).typename === 'Symbol') return args.map(visit).find(Boolean);
      return visit(node.name) ?? args.map(visit).find(Boolean);
    }
    default: {
      for (const field of node.fields ?? []) {
        const child = node[field];
        if (Array.isArray(child)) {
          for (const c of child) {
            const found = visit(c);
            if (found) return found;
          }
        } else if (child && typeof child === 'object') {
          const found = visit(child);
          if (found) return found;
        }
      }
      return undefined;
    }
  }
}

function collectNames(n: AstNode): string[] {
  if (n.typename === 'Symbol') return [String(n.value)];
  return ((n.children as AstNode[]) ?? []).flatMap(collectNames);
}

function simplify(n: AstNode): unknown {
  if (!n || typeof n !== 'object') return n;
  const out: Record<string, unknown> = { t: n.typename, v: typeof n.value === 'object' ? undefined : n.value };
  for (const f of n.fields ?? []) {
    const c = n[f];
    out[f] = Array.isArray(c) ? c.map((x) => simplify(x as AstNode)) : simplify(c as AstNode);
  }
  return out;
}

export function undefinedIn(src: string, lookup: Lookup): string | undefined {
  try {
    const ast = (nunjucks as unknown as { parser: { parse(s: string, e?: unknown, o?: unknown): AstNode } }).parser.parse(src, [], { trimBlocks: true });
    return findUndefined(ast, lookup, new Set());
  } catch {
    return undefined;
  }
}

function makeFrame(lookup: Lookup) {
  const frame = new BaseFrame();
  (frame as unknown as { topLevel: boolean }).topLevel = true;
  frame.lookup = function (this: { variables: Record<string, unknown> }, name: string) {
    const own = this.variables[name];
    return own !== undefined ? own : lookup(name);
  };
  return frame;
}

function renderWith(src: string, lookup: Lookup, captured?: { value?: unknown }): string {
  const tmpl = compile(src);
  const frame = makeFrame(lookup);
  if (captured) (frame.variables as Record<string, unknown>).__capture = (v: unknown) => { captured.value = v; return ''; };
  try {
    return (tmpl as unknown as { render(ctx: object, frame: unknown): string }).render({}, frame);
  } catch (e) {
    const err = e as Error & { undefinedValue?: boolean };
    if (err instanceof TemplateError) throw err;
    const missing = undefinedIn(src, lookup);
    if (missing) throw new TemplateError(`'${missing}' is undefined`, missing);
    if (err.undefinedValue || /undefined value/.test(err.message)) throw new TemplateError('the template outputs an undefined value');
    throw new TemplateError(cleanMessage(e));
  }
}

/** Evaluates one Jinja2 expression (e.g. a `when:` condition) to its native value. */
export function evaluate(expr: string, lookup: Lookup): unknown {
  const src = `{{ __capture(${expr}) }}`;
  const missing = undefinedIn(src, lookup);
  if (missing) throw new TemplateError(`'${missing}' is undefined`, missing);
  const captured: { value?: unknown } = {};
  renderWith(src, lookup, captured);
  return captured.value;
}

/** Evaluates a condition as Ansible does: booleans, or the truth of a Jinja2 expression. */
export function condition(expr: unknown, lookup: Lookup): boolean {
  if (typeof expr === 'boolean') return expr;
  if (expr === null || expr === undefined) return false;
  if (typeof expr === 'number') return expr !== 0;
  let s = String(expr).trim();
  const single = SINGLE.exec(s);
  if (single) s = single[1].trim();
  const v = evaluate(s, lookup);
  if (typeof v === 'string') return toBool(v) || (v !== '' && !['false', 'no', 'off', '0', 'n', 'f'].includes(v.toLowerCase()) && v.toLowerCase() !== 'none');
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Renders one string: a lone `{{ expr }}` keeps its native type, anything else is a string. */
export function renderString(src: string, lookup: Lookup): unknown {
  if (!isTemplate(src)) return src;
  const single = SINGLE.exec(src);
  if (single && !src.includes('{%')) {
    const value = evaluate(single[1].trim(), lookup);
    if (value === undefined) throw new TemplateError(`the expression '${single[1].trim()}' is undefined`);
    return value;
  }
  return renderWith(src, lookup);
}

/** Renders every string inside a value (objects and lists deeply). */
export function renderDeep(value: unknown, lookup: Lookup): unknown {
  if (typeof value === 'string') return renderString(value, lookup);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, lookup));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[isTemplate(k) ? String(renderString(k, lookup)) : k] = renderDeep(v, lookup);
    return out;
  }
  return value;
}

/** Checks template syntax without rendering; returns the problem or undefined. */
export function syntaxProblem(src: string): string | undefined {
  if (!isTemplate(src)) return undefined;
  try {
    compile(src);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Renders a whole template file's text (the `template` module). */
export function renderFile(text: string, lookup: Lookup): string {
  return renderWith(text, lookup);
}
