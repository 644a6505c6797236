/**
 * The nunjucks environment as Jinja2 in Ansible behaves: only undefined
 * (not None) is an error, Python's str methods on strings, Ansible's filters,
 * tests and globals (lookup, range with a size limit, dict), compiled
 * templates cached.
 */
import nunjucks from 'nunjucks';
import { installFilters, installTests, now } from './filters.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TemplateError } from './template-error.ts';
import { pyRepr, pyStr } from './py-repr.ts';

export { pyRepr };
import { lookup as lookupPlugin, query as queryPlugin, type LookupContext } from './lookups.ts';
import type { Lookup } from '../util/lookup.ts';

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
  // Python's negative indexes (`lines[-1]`): counted from the end.
  if ((Array.isArray(obj) || typeof obj === 'string') && typeof val === 'number' && val < 0 && Number.isInteger(val)) return obj[obj.length + val];
  return compatMemberLookup(obj, val);
};

/** Python's `==`: values, not identities (lists and dicts compared item by item; True == 1; '1' != 1). */
export function pyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const num = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  if ((typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'number' || typeof b === 'boolean')) return num(a) === num(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && pyEqual((a as any)[k], (b as any)[k]));
  }
  return false;
}

/** Python's ordering: numbers, strings, lists item by item; other pairs are a TypeError, as Python's. */
function pyOrder(a: unknown, b: unknown): number {
  const num = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (!pyEqual(x[i], y[i])) return pyOrder(x[i], y[i]);
    }
    return x.length - y.length;
  }
  const t = (v: unknown) => (v === null || v === undefined ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'dict' : typeof v === 'string' ? 'str' : typeof v);
  throw new TemplateError(`'<' not supported between instances of '${t(a)}' and '${t(b)}'`);
}

/** A chain of comparisons as Python evaluates it: `a < b < c` is `a < b and b < c`. */
runtime.pyCompare = (...chain: unknown[]) => {
  for (let i = 0; i + 2 < chain.length; i += 2) {
    const [a, op, b] = [chain[i], chain[i + 1] as string, chain[i + 2]];
    let ok: boolean;
    if (op === '==' || op === '===') ok = pyEqual(a, b);
    else if (op === '!=' || op === '!==') ok = !pyEqual(a, b);
    else {
      const c = pyOrder(a, b);
      ok = op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
    }
    if (!ok) return false;
  }
  return true;
};

/** Python's `in`: by value in lists, substring in strings, key in dicts (the operator, and the in/contains tests). */
export function pyIn(key: unknown, val: unknown): boolean {
  if (Array.isArray(val)) return val.some((x) => pyEqual(x, key));
  if (typeof val === 'string') {
    if (typeof key !== 'string') throw new TemplateError(`'in <string>' requires string as left operand, not ${key === null ? 'NoneType' : typeof key}`);
    return val.includes(key);
  }
  if (val && typeof val === 'object') return Object.prototype.hasOwnProperty.call(val, String(key));
  throw new TemplateError(`argument of type '${val === null || val === undefined ? 'NoneType' : typeof val}' is not iterable`);
}
runtime.inOperator = pyIn;

// String literals. In a template file (the template module, the template lookup) as Jinja reads them (Python's
// unicode-escape: \n, \t, \xhh, \uXXXX, octal... decoded; an escape Python does not know kept as written). In a
// playbook's values, inside {{ }}, backslashes are kept as written: Ansible doubles them before Jinja reads the
// text (its _escape_backslashes), so that `regex_replace('(\d+)', '\1')` means what it says after YAML.
type Token = { type: string; value: string; lineno: number; colno: number };
type TokenizerProto = { forward(): void; current(): string; isFinished(): boolean; _parseString(delimiter: string): string; nextToken(): Token | null; index: number; str: string; in_code: boolean; lineno: number; colno: number; inVariable?: boolean; curlies?: number };
const tokenizerProto = Object.getPrototypeOf((nunjucks as unknown as { lexer: { lex(s: string, o: object): object } }).lexer.lex('', {})) as TokenizerProto;
const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };
// As Jinja's lexer, `}}` closes an open `{` of a dict literal before it ends the tag:
// `{{ x | combine({'a': {'b': 1}}) }}` (nunjucks ended the tag there).
const nextToken = tokenizerProto.nextToken;
tokenizerProto.nextToken = function (this: TokenizerProto) {
  if (this.in_code && (this.curlies ?? 0) > 0 && this.str.startsWith('}}', this.index)) {
    const tok = { type: 'right-curly', value: '}', lineno: this.lineno, colno: this.colno };
    this.forward();
    this.curlies!--;
    return tok;
  }
  const tok = nextToken.call(this);
  if (tok?.type === 'variable-start' || tok?.type === 'block-start') {
    this.inVariable = tok.type === 'variable-start';
    this.curlies = 0;
  } else if (tok?.type === 'variable-end') this.inVariable = false;
  else if (tok?.type === 'left-curly') this.curlies = (this.curlies ?? 0) + 1;
  else if (tok?.type === 'right-curly') this.curlies = Math.max(0, (this.curlies ?? 0) - 1);
  return tok;
};
tokenizerProto._parseString = function (this: TokenizerProto, delimiter: string): string {
  this.forward();
  let str = '';
  while (!this.isFinished() && this.current() !== delimiter) {
    const cur = this.current();
    this.forward();
    if (cur !== '\\' || this.isFinished()) {
      str += cur;
      continue;
    }
    const c = this.current();
    if (this.inVariable && !envOpts.decodeEscapes) {
      str += `\\${c}`;
      this.forward();
      continue;
    }
    const ahead = (n: number) => this.str.slice(this.index, this.index + n);
    const code = c === 'x' ? /^x[0-9a-fA-F]{2}/.exec(ahead(3)) : c === 'u' ? /^u[0-9a-fA-F]{4}/.exec(ahead(5)) : c === 'U' ? /^U[0-9a-fA-F]{8}/.exec(ahead(9)) : /^[0-7]{1,3}/.exec(ahead(3));
    if (c in SIMPLE_ESCAPES) {
      str += SIMPLE_ESCAPES[c];
      this.forward();
    } else if (code) {
      const digits = /^[0-7]/.test(code[0]) ? code[0] : code[0].slice(1);
      str += String.fromCodePoint(Number.parseInt(digits, /^[0-7]/.test(code[0]) ? 8 : 16));
      for (let i = 0; i < code[0].length; i++) this.forward();
    } else str += '\\';
  }
  this.forward();
  return str;
};

// Python's *args in a call (`q("list", *phrases)`, `lookup("file", *files, lstrip=True)`): a Spread node,
// parsed where an argument starts with `*`, compiled to JavaScript's spread of the list.
type NodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => unknown;
const nunjucksNodes = (nunjucks as unknown as { nodes: { Node: { extend(name: string, props: object): NodeClass } } }).nodes;
const Spread = nunjucksNodes.Node.extend('Spread', { fields: ['target'] });
type ParserProto = { peekToken(): { type: string; value: string; lineno: number; colno: number }; skipValue(type: string, value: string): boolean; parseUnary(noFilters?: boolean): unknown };
const parserProto = (nunjucks as unknown as { parser: { Parser: { prototype: ParserProto } } }).parser.Parser.prototype;
const parseUnary = parserProto.parseUnary;
parserProto.parseUnary = function (this: ParserProto, noFilters?: boolean) {
  const tok = this.peekToken();
  if (tok && tok.type === 'operator' && tok.value === '*' && this.skipValue('operator', '*')) return new Spread(tok.lineno, tok.colno, this.parseUnary(noFilters));
  return parseUnary.call(this, noFilters);
};

runtime.spreadArgs = (v: unknown) => {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (v && typeof v === 'object') return Object.keys(v);
  throw new TemplateError(`argument after * must be an iterable, not ${v === null || v === undefined ? 'NoneType' : typeof v}`);
};

type CompilerProto = { compile(n: unknown, f: unknown): void; _emit(s: string): void; _compileAggregate(n: unknown, f: unknown, a?: string, b?: string): void };
const compilerProto = (nunjucks as unknown as { compiler: { Compiler: { prototype: CompilerProto & Record<string, unknown> } } }).compiler.Compiler.prototype;
compilerProto.compileSpread = function (this: CompilerProto, node: { target: unknown }, frame: unknown) {
  this._emit('...runtime.spreadArgs(');
  this.compile(node.target, frame);
  this._emit(')');
};
compilerProto.compileCompare = function (this: CompilerProto, node: { expr: unknown; ops: { type: string; expr: unknown }[] }, frame: unknown) {
  this._emit('runtime.pyCompare(');
  this.compile(node.expr, frame);
  for (const op of node.ops) {
    this._emit(`, ${JSON.stringify(op.type)}, `);
    this.compile(op.expr, frame);
  }
  this._emit(')');
};
// `+` on lists concatenates them, as Python's (JavaScript would join their texts).
compilerProto.compileAdd = function (this: CompilerProto, node: { left: unknown; right: unknown }, frame: unknown) {
  this._emit('runtime.pyAdd(');
  this.compile(node.left, frame);
  this._emit(', ');
  this.compile(node.right, frame);
  this._emit(')');
};
runtime.pyAdd = (a: any, b: any) => (Array.isArray(a) && Array.isArray(b) ? [...a, ...b] : a + b);
// Tests with several arguments (`x is version('1.0', '>=')`): nunjucks compiled the argument list without commas.
compilerProto.compileIs = function (this: CompilerProto, node: { left: unknown; right: { name?: { value: string }; value?: string; args?: unknown } }, frame: unknown) {
  const name = node.right.name ? node.right.name.value : node.right.value;
  this._emit(`runtime.callTest(env, ${JSON.stringify(name)}, context, `);
  this.compile(node.left, frame);
  if (node.right.args) {
    this._emit(',');
    this._compileAggregate(node.right.args, frame);
  }
  this._emit(') === true');
};
runtime.callTest = (environment: { getTest(n: string): ((...a: unknown[]) => unknown) | undefined }, name: string, context: unknown, ...args: unknown[]) => {
  let test: ((...a: unknown[]) => unknown) | undefined;
  try {
    test = environment.getTest(name);
  } catch {
    test = undefined;
  }
  if (!test) throw new TemplateError(`no test named '${name}'`);
  return Boolean(test.call(context, ...args));
};


/**
 * Jinja's `format` filter: Python's printf-style `%` formatting (`%s`, `%r`,
 * `%d`/`%i`, `%f`/`%.2f`, `%x`, `%o`, `%e`, `%%`, widths and `-`/`0` flags,
 * and `%(name)s` with keyword arguments).
 */
export function pyFormat(fmt: unknown, ...args: unknown[]): string {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  const named = last && typeof last === 'object' && (last as { __keywords?: boolean }).__keywords ? last : undefined;
  const positional = named ? args.slice(0, -1) : args;
  let next = 0;
  const out = String(fmt).replace(/%(?:\(([^)]*)\))?([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdirfFeExXoc%])/g, (_m, name: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    let v: unknown;
    if (name !== undefined) {
      if (!named || !(name in named)) throw new TemplateError(`format: no value for %(${name})s`);
      v = named[name];
    } else {
      if (next >= positional.length) throw new TemplateError('format: not enough arguments for format string');
      v = positional[next++];
    }
    let text: string;
    const num = Number(v);
    switch (conv) {
      case 's': text = pyStr(v); if (prec !== undefined) text = text.slice(0, Number(prec)); break;
      case 'r': text = pyRepr(v); break;
      case 'd': case 'i': if (!Number.isFinite(num)) throw new TemplateError(`format: %${conv} format: a number is required, not ${typeof v}`); text = String(Math.trunc(num)); break;
      case 'f': case 'F': text = num.toFixed(prec === undefined ? 6 : Number(prec)); break;
      case 'e': case 'E': text = num.toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([+-])(\d)$/, 'e$10$2'); if (conv === 'E') text = text.toUpperCase(); break;
      case 'x': text = Math.trunc(num).toString(16); break;
      case 'X': text = Math.trunc(num).toString(16).toUpperCase(); break;
      case 'o': text = Math.trunc(num).toString(8); break;
      default: text = String(v).charAt(0);
    }
    if (flags.includes('+') && /[dieEfF]/.test(conv) && num >= 0) text = `+${text}`;
    const w = Number(width ?? 0);
    if (text.length < w) text = flags.includes('-') ? text.padEnd(w) : flags.includes('0') && conv !== 's' ? (text.startsWith('-') ? '-' + text.slice(1).padStart(w - 1, '0') : text.padStart(w, '0')) : text.padStart(w);
    return text;
  });
  if (!named && next < positional.length) throw new TemplateError('format: not all arguments converted during string formatting');
  return out;
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
  if (!/\.(\d|null\b|none\b|true\b|false\b)/i.test(src)) return src;
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
    out += expr
      .replace(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|((?:(?<![\w.])[A-Za-z_]\w*|[\])])(?:\.[A-Za-z_]\w*)*)((?:\.\d+(?![\w]))+)/g, (_m, str, head, idx) => (str ? str : head + idx.replace(/\.(\d+)/g, '[$1]')))
      // An attribute named like a literal (`foo.null`, `x.true`): Jinja reads it as a name, nunjucks as the literal.
      .replace(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?<=[\w\])])\.(null|none|true|false|None|True|False)(?!\w)/g, (_m, str, word) => (str ? str : `['${word}']`));
  }
  return out;
}

export const BaseFrame = runtime.Frame as new (parent?: unknown, isolate?: boolean) => { variables: Record<string, unknown>; lookup(name: string): unknown };

/**
 * Reads of values Ansible marks unsafe (lookup results, registered results, facts, with_* loop items):
 * a rendering during which this count grew gives an unsafe value too (Ansible's AnsibleContext.unsafe),
 * which set_fact keeps as it is, never templated again.
 */
export const unsafeReads = { count: 0 };

/** The variables of the template being rendered (set by the renderer), for the lookup plugins. */
export const renderState: { vars?: Lookup; render?: (text: string, vars: Lookup, dir?: string) => string; literal?: (text: string) => unknown; templateDirs?: string[] } = {};

/**
 * `{% include %}`, `{% import %}` and `{% extends %}` in templates: the file is looked for beside
 * the template being rendered, then in the role's and the playbook's templates/ (as Ansible's search path).
 */
const templateLoader = {
  getSource(name: string): { src: string; path: string; noCache: boolean } | null {
    const vars = renderState.vars ?? (() => undefined);
    const dirs = [...(renderState.templateDirs ?? []), ...[vars('role_path'), vars('playbook_dir')].filter((d): d is string => typeof d === 'string').flatMap((d) => [path.join(d, 'templates'), d])];
    for (const d of path.isAbsolute(name) ? [''] : dirs) {
      const p = path.resolve(d, name);
      // As Jinja reads an included template: without its last newline ("Hello {% include 'w' %}!" is "Hello world!").
      if (existsSync(p)) return { src: readFileSync(p, 'utf8').replace(/(?:\r\n|\n|\r)$/, ''), path: p, noCache: true };
    }
    return null;
  },
};
export const env = new nunjucks.Environment(templateLoader as unknown as nunjucks.ILoader, { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: false });
installTests(env);
// Jinja's comparison tests (`selectattr('failed', '==', true)`), with Python's equality and ordering.
const addTest = (name: string, fn: (...a: any[]) => boolean) => (env as unknown as { addTest(n: string, f: unknown): void }).addTest(name, fn);
for (const [names, ok] of [
  [['==', 'eq', 'equalto'], (a: unknown, b: unknown) => pyEqual(a, b)],
  [['!=', 'ne'], (a: unknown, b: unknown) => !pyEqual(a, b)],
  [['<', 'lt', 'lessthan'], (a: unknown, b: unknown) => pyOrder(a, b) < 0],
  [['<=', 'le'], (a: unknown, b: unknown) => pyOrder(a, b) <= 0],
  [['>', 'gt', 'greaterthan'], (a: unknown, b: unknown) => pyOrder(a, b) > 0],
  [['>=', 'ge'], (a: unknown, b: unknown) => pyOrder(a, b) >= 0],
] as const)
  for (const n of names) addTest(n, ok);
addTest('true', (v: unknown) => v === true);
addTest('false', (v: unknown) => v === false);
env.addFilter('format', pyFormat);
installFilters(env, (name, value, args) => {
  const test = (env as unknown as { getTest(n: string): (...a: unknown[]) => boolean }).getTest(name);
  if (!test) throw new TemplateError(`no test named '${name}'`);
  return Boolean(test(value, ...args));
});
function lookupContext(): LookupContext {
  const vars = renderState.vars ?? (() => undefined);
  return { vars, render: (text, v, dir) => (renderState.render ? renderState.render(text, v, dir) : text), literal: renderState.literal };
}
function splitKeywords(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && last.__keywords) {
    const { __keywords, ...kw } = last;
    return [args.slice(0, -1), kw];
  }
  return [args, {}];
}
env.addGlobal('lookup', (plugin: string, ...args: unknown[]) => {
  const [terms, kw] = splitKeywords(args);
  unsafeReads.count++;
  return lookupPlugin(String(plugin), terms, kw, lookupContext());
});
for (const name of ['query', 'q']) {
  env.addGlobal(name, (plugin: string, ...args: unknown[]) => {
    const [terms, kw] = splitKeywords(args);
    unsafeReads.count++;
    return queryPlugin(String(plugin), terms, kw, lookupContext());
  });
}
/** Items a template may make with range() at once: more would exhaust memory before it failed. */
export const MAX_RANGE = 1_000_000;
// Ansible's now(utc=False, fmt=None).
env.addGlobal('now', now);
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
/** Jinja's whitespace options of the template module (Ansible's defaults: trim_blocks on, lstrip_blocks off). */
export interface Whitespace {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  /** String literals' escapes decoded inside {{ }} too: a template file's text, or a condition (Ansible puts it in {% if %}). */
  decodeEscapes?: boolean;
}

const envOpts = (env as unknown as { opts: Whitespace }).opts;

/** Runs `fn` with the template module's whitespace options in force (for the template and what it includes). */
export function withWhitespace<T>(ws: Whitespace | undefined, fn: () => T): T {
  if (!ws || (ws.trimBlocks === envOpts.trimBlocks && ws.lstripBlocks === envOpts.lstripBlocks && Boolean(ws.decodeEscapes) === Boolean(envOpts.decodeEscapes))) return fn();
  const outer = { trimBlocks: envOpts.trimBlocks, lstripBlocks: envOpts.lstripBlocks, decodeEscapes: envOpts.decodeEscapes };
  Object.assign(envOpts, ws);
  try {
    return fn();
  } finally {
    Object.assign(envOpts, outer);
  }
}

/** Runs `fn` with string escapes decoded inside {{ }} as well (see decodeEscapes). */
export function decodingEscapes<T>(fn: () => T): T {
  return withWhitespace({ trimBlocks: envOpts.trimBlocks, lstripBlocks: envOpts.lstripBlocks, decodeEscapes: true }, fn);
}

/** The template's syntax tree (parsed as compile() would, without generating code): for checks before a run. */
export function parse(src: string): unknown {
  try {
    return (nunjucks as unknown as { parser: { parse(s: string, ext: unknown, o: unknown): unknown } }).parser.parse(pythonIndexes(src), (env as unknown as { extensionsList: unknown }).extensionsList, envOpts);
  } catch (e) {
    throw new TemplateError(`template syntax error: ${cleanMessage(e)}`);
  }
}

export function compile(src: string): nunjucks.Template {
  const key = envOpts.trimBlocks && !envOpts.lstripBlocks && !envOpts.decodeEscapes ? src : `${envOpts.trimBlocks ? 't' : '-'}${envOpts.lstripBlocks ? 'l' : '-'}${envOpts.decodeEscapes ? 'f' : '-'}\0${src}`;
  let t = compiled.get(key);
  if (!t) {
    try {
      t = new nunjucks.Template(pythonIndexes(src), env, undefined, true);
    } catch (e) {
      throw new TemplateError(`template syntax error: ${cleanMessage(e)}`);
    }
    if (compiled.size > 5000) compiled.clear();
    compiled.set(key, t);
  }
  return t;
}

export function cleanMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // A filter or test named at run time (a template file, map('x'), selectattr('a', 'x')) that does not exist:
  // Ansible 2.14's words (its plugin loader wants a valid ansible.builtin.<name>), then what it means.
  const missing = /^(?:\(unknown path\)\s*)?(?:Template render error: )?(?:\([^)]*\)\s*)?(?:\[Line \d+, Column \d+\]\s*)?(?:Error: )*(filter|test) not found: (.*)$/s.exec(msg);
  if (missing) {
    const [, kind, name] = missing;
    const why = /^\w+$/.test(name) ? name : `invalid plugin name: ansible.builtin.${name}`;
    return `TemplateSyntaxError: Could not load "${name}": '${why}' (there is no ${kind} named "${name}")`;
  }
  return msg.replace(/^\(unknown path\)\s*/, '').replace(/\s*\[Line \d+, Column \d+\]\s*/g, ' ').replace(/\s+/g, ' ').trim().replace(/^(?:Template render error: )?(?:Error: )+/, '');
}


/** True for the names of the environment's globals (lookup, range, dict). */
export function isGlobal(name: string): boolean {
  return name in (env as unknown as { globals: object }).globals;
}
