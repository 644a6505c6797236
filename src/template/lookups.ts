/**
 * Ansible's lookup plugins that run on the controller (`lookup('x', ...)`,
 * `query('x', ...)`, and the `with_x:` loops, which are `query('x', ...)`).
 * Each takes the terms and keyword arguments and gives a list; `lookup`
 * joins a list of strings with commas unless `wantlist=True`, as Ansible's.
 */
import { globFiles as glob } from '../util/fnmatch.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TemplateError } from './template-error.ts';
import type { Lookup } from '../util/lookup.ts';
import { parseKv } from '../util/kv.ts';
import { pyRegex, toBool } from './filters.ts';
import { pyRepr, pyStr, pyTypeName } from './py-repr.ts';

type Kwargs = Record<string, unknown>;
type Plugin = (terms: unknown[], kw: Kwargs, ctx: LookupContext) => unknown[];

export interface LookupContext {
  /** The variables of the task being templated. */
  vars: Lookup;
  /** Renders a template text with those variables (the `template` lookup). */
  render(text: string, vars: Lookup, dir?: string): string;
  /** Text that reads as a Python dict, list or boolean as that value (Ansible's convert_data), else the text. */
  literal?(text: string): unknown;
}

const flattenOnce = (terms: unknown[]) => terms.flatMap((t) => (Array.isArray(t) ? t : [t]));
function flattenDeep(terms: unknown[]): unknown[] {
  return terms.flatMap((t) => (Array.isArray(t) ? flattenDeep(t) : [t]));
}

/** Where Ansible looks for a relative file of a lookup: the role's (or playbook's) `sub` folder, the role, the playbook's folder. */
export function searchPath(ctx: LookupContext, sub: 'files' | 'templates' | 'vars', name: string): string | undefined {
  if (path.isAbsolute(name)) return name;
  const dirs = [ctx.vars('role_path'), ctx.vars('playbook_dir')].filter((d): d is string => typeof d === 'string');
  for (const d of dirs) {
    for (const candidate of [path.join(d, sub, name), path.join(d, name)]) if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function mustFind(ctx: LookupContext, sub: 'files' | 'templates', name: string, plugin: string): string {
  const p = searchPath(ctx, sub, name);
  if (!p || !existsSync(p)) throw new TemplateError(`The '${plugin}' lookup could not find the file '${name}' (looked in the role's and the playbook's ${sub}/ and folder)`);
  return p;
}

/** Python's int(text, 0): decimal (no leading zeros), 0x, 0o or 0b, a sign, underscores between digits; undefined if not. */
function pyInt0(text: string): number | undefined {
  const m = /^\s*([+-]?)(?:(0[xX](?:_?[0-9a-fA-F])+)|(0[oO](?:_?[0-7])+)|(0[bB](?:_?[01])+)|([1-9](?:_?\d)*|0(?:_?0)*))\s*$/.exec(text);
  if (!m) return undefined;
  const digits = (m[2] ?? m[3] ?? m[4] ?? m[5]).replace(/_/g, '');
  const n = m[2] ? Number.parseInt(digits.slice(2), 16) : m[3] ? Number.parseInt(digits.slice(2), 8) : m[4] ? Number.parseInt(digits.slice(2), 2) : Number.parseInt(digits, 10);
  return m[1] === '-' ? -n : n;
}

const SEQUENCE_NUM = '(0?x?[0-9a-f]+)';
const SEQUENCE_SHORT = new RegExp(`^(${SEQUENCE_NUM}-)?${SEQUENCE_NUM}(/${SEQUENCE_NUM})?(:(.+))?$`, 'is');

/**
 * `with_sequence` / `lookup('sequence', 'start=1 end=10 stride=2 format=x%02d')`, or the short form
 * `[start-]end[/stride][:format]`: Ansible's sequence plugin, its rules and its messages.
 */
function sequence(terms: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const term of terms) {
    const text = String(term);
    let start = 1;
    let end: number | undefined;
    let count: number | undefined;
    let stride = 1;
    let format = '%d';
    const int = (name: string, v: string): number => {
      const n = pyInt0(v);
      if (n === undefined) throw new TemplateError(`can't parse ${name}=${v} as integer`);
      return n;
    };
    const short = SEQUENCE_SHORT.exec(text);
    if (short) {
      if (short[2] !== undefined) start = int('start', short[2]);
      end = int('end', short[3]);
      if (short[5] !== undefined) stride = int('stride', short[5]);
      if (short[7] !== undefined) format = short[7];
    } else {
      const args = parseKv(text);
      delete args._raw_params;
      for (const k of ['start', 'end', 'count', 'stride'] as const) {
        if (!(k in args)) continue;
        const n = int(k, String(args[k]));
        if (k === 'start') start = n;
        else if (k === 'end') end = n;
        else if (k === 'count') count = n;
        else stride = n;
        delete args[k];
      }
      if ('format' in args) {
        format = String(args.format);
        delete args.format;
      }
      const extra = Object.keys(args);
      if (extra.length) throw new TemplateError(`unrecognized arguments to with_sequence: [${extra.map((k) => `'${k}'`).join(', ')}]`);
    }
    if (count === undefined && end === undefined) throw new TemplateError('must specify count or end in with_sequence');
    if (count !== undefined && end !== undefined) throw new TemplateError("can't specify both count and end in with_sequence");
    if (count !== undefined) {
      // Ansible's arithmetic: the last item is start + count * stride - 1.
      if (count !== 0) end = start + count * stride - 1;
      else [start, end, stride] = [0, 0, 0];
    }
    const last = end!;
    if (stride > 0 && last < start) throw new TemplateError('to count backwards make stride negative');
    if (stride < 0 && last > start) throw new TemplateError("to count forward don't make stride negative");
    if ((format.match(/%/g) ?? []).length !== 1) throw new TemplateError(`bad formatting string: ${format}`);
    if (stride === 0) continue;
    if (Math.abs((last - start) / stride) > 1_000_000) throw new TemplateError('the sequence would make more than 1,000,000 items');
    // Python's range(start, end + 1, stride) (end - 1 counting down).
    const stop = last + (stride > 0 ? 1 : -1);
    for (let i = start; stride > 0 ? i < stop : i > stop; i += stride) out.push(pyFormat(format, i));
  }
  return out;
}

/** printf-style formatting of one integer, as Python's `%` (the sequence lookup's format). */
function pyFormat(format: string, n: number): string {
  let used = false;
  const s = format.replace(/%([-0 +#]*)(\d*)(?:\.(\d+))?([dixXofeEs%])/g, (_m, flags: string, width: string, _prec: string, conv: string) => {
    if (conv === '%') return '%';
    used = true;
    let body = conv === 'x' ? n.toString(16) : conv === 'X' ? n.toString(16).toUpperCase() : conv === 'o' ? n.toString(8) : conv === 'f' ? n.toFixed(6) : String(n);
    const w = Number(width || 0);
    if (body.length < w) body = flags.includes('-') ? body.padEnd(w) : flags.includes('0') ? (n < 0 ? '-' + body.slice(1).padStart(w - 1, '0') : body.padStart(w, '0')) : body.padStart(w);
    return body;
  });
  if (!used) throw new TemplateError(`bad formatting string: ${format}`);
  return s;
}

const SUBELEMENTS_FLAGS = ['skip_missing'];

/** The subelements lookup, as Ansible's plugin (its checks, messages and quirks: a skipped result gives nothing). */
function subelements(terms: unknown[], kw: Kwargs): unknown[] {
  const termsError = (msg = '') => new TemplateError(`subelements lookup expects a list of two or three items, ${msg}`);
  if (terms.length < 2 || terms.length > 3) throw termsError();
  // listify_lookup_plugin_terms: a lone value (a string, true) is a list of one.
  const first = terms[0] !== null && typeof terms[0] === 'object' ? terms[0] : [terms[0]];
  const key = terms[1];
  const isDict = (v: unknown): v is Kwargs => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!(Array.isArray(first) || isDict(first)) || typeof key !== 'string') throw termsError('first a dict or a list, second a string pointing to the subkey');
  const subkeys = key.split('.');
  let elements: unknown[];
  if (isDict(first)) {
    if (first.skipped !== undefined && first.skipped !== false) return [];
    elements = Object.values(first);
  } else elements = first;
  const flags = terms.length === 3 ? terms[2] : kw;
  if (!isDict(flags) || !Object.keys(flags).every((k) => SUBELEMENTS_FLAGS.includes(k))) throw termsError(`the optional third item must be a dict with flags ${pyRepr(SUBELEMENTS_FLAGS)}`);
  const skipMissing = toBool(flags.skip_missing);
  const out: unknown[] = [];
  for (const original of elements) {
    if (!isDict(original)) throw new TemplateError(`subelements lookup expects a dictionary, got '${pyStr(original)}'`);
    if (original.skipped !== undefined && original.skipped !== false) continue;
    // Ansible pops the list out of the item it gives back: done here on a copy.
    const item0 = structuredClone(original) as Kwargs;
    let value: Kwargs = item0;
    let sublist: unknown[] = [];
    subkeys.forEach((subkey, i) => {
      const last = i === subkeys.length - 1;
      if (!(subkey in value)) {
        if (skipMissing) return;
        throw new TemplateError(`could not find '${subkey}' key in iterated item '${pyStr(value)}'`);
      }
      const next = value[subkey];
      if (!last) {
        if (!isDict(next)) {
          if (skipMissing) return;
          throw new TemplateError(`the key ${subkey} should point to a dictionary, got '${pyStr(next)}'`);
        }
        value = next;
      } else {
        if (!Array.isArray(next)) throw new TemplateError(`the key ${subkey} should point to a list, got '${pyStr(next)}'`);
        sublist = next;
        delete value[subkey];
      }
    });
    for (const item1 of sublist) out.push([item0, item1]);
  }
  return out;
}


const PLUGINS: Record<string, Plugin> = {
  items: (terms) => flattenOnce(terms),
  list: (terms) => terms,
  flattened: (terms) => flattenDeep(terms),
  indexed_items: (terms) => flattenOnce(terms).map((x, i) => [i, x]),
  dict: (terms) =>
    terms.flatMap((t) => {
      if (!t || typeof t !== 'object' || Array.isArray(t)) throw new TemplateError(`with_dict expects a dict, got ${JSON.stringify(t)}`);
      return Object.entries(t).map(([key, value]) => ({ key, value }));
    }),
  together: (terms) => {
    const lists = terms.map((t) => (Array.isArray(t) ? t : [t]));
    if (lists.length === 0) throw new TemplateError('with_together requires at least one element in each list');
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)));
  },
  nested: (terms) => {
    const lists = terms.map((t) => (Array.isArray(t) ? t : [t]));
    if (lists.length === 0) throw new TemplateError('with_nested requires at least one element in the nested list');
    return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
  },
  cartesian: (terms, kw, ctx) => PLUGINS.nested(terms, kw, ctx),
  sequence: (terms) => sequence(terms),
  subelements: (terms, kw) => subelements(terms, kw),
  fileglob: (terms, _kw, ctx) =>
    flattenOnce(terms).flatMap((t) => {
      const p = String(t);
      if (path.isAbsolute(p)) return glob(p);
      const dirs = [ctx.vars('role_path'), ctx.vars('playbook_dir')].filter((d): d is string => typeof d === 'string');
      for (const d of dirs) {
        const found = glob(path.join(d, 'files', p));
        if (found.length > 0) return found;
        const here = glob(path.join(d, p));
        if (here.length > 0) return here;
      }
      return [];
    }),
  file: (terms, kw, ctx) =>
    flattenOnce(terms).map((t) => {
      const text = readFileSync(mustFind(ctx, 'files', String(t), 'file'), 'utf8');
      const rstrip = kw.rstrip === undefined ? true : Boolean(kw.rstrip);
      const lstrip = Boolean(kw.lstrip);
      let s = rstrip ? text.trimEnd() : text;
      if (lstrip) s = s.trimStart();
      return s;
    }),
  env: (terms, kw) => flattenOnce(terms).map((t) => process.env[String(t)] ?? (kw.default !== undefined ? kw.default : '')),
  pipe: (terms) => flattenOnce(terms).map((t) => run(String(t)).replace(/\s+$/, '')),
  lines: (terms) => flattenOnce(terms).flatMap((t) => run(String(t)).split('\n').filter((l, i, all) => l !== '' || i < all.length - 1)),
  template: (terms, kw, ctx) =>
    flattenOnce(terms).map((t) => {
      const file = mustFind(ctx, 'templates', String(t), 'template');
      const extra = (kw.template_vars ?? {}) as Kwargs;
      const text = ctx.render(standardDelimiters(readFileSync(file, 'utf8'), kw), (n) => (n in extra ? extra[n] : ctx.vars(n)), path.dirname(file));
      // convert_data (on by default): a result that reads as a dict or list is that value.
      return kw.convert_data === undefined || toBool(kw.convert_data) ? (ctx.literal?.(text) ?? text) : text;
    }),
  varnames: (terms, _kw, ctx) => {
    const names = ctx.vars.names?.() ?? [];
    return flattenOnce(terms).flatMap((t) => {
      if (typeof t !== 'string') throw new TemplateError(`Invalid setting identifier, "${pyStr(t)}" is not a string, it is a <class '${pyTypeName(t)}'>`);
      let re: RegExp;
      try {
        re = pyRegex(t);
      } catch (e) {
        const why = (e as Error).message.replace(/^.*: /, '');
        throw new TemplateError(`Unable to use "${t}" as a search parameter: ${why.charAt(0).toLowerCase()}${why.slice(1)}`);
      }
      return names.filter((n) => re.test(n));
    });
  },
  vars: (terms, kw, ctx) =>
    flattenOnce(terms).map((t) => {
      if (typeof t !== 'string') throw new TemplateError(`Invalid setting identifier, "${pyStr(t)}" is not a string, it is a <class '${pyTypeName(t)}'>`);
      const v = ctx.vars(String(t));
      if (v !== undefined) return v;
      if ('default' in kw) return kw.default;
      throw new TemplateError(`No variable found with this name: ${String(t)}`);
    }),
};


/**
 * The template lookup's variable_start_string/variable_end_string and comment_start_string/comment_end_string:
 * the text rewritten to Jinja's usual delimiters, the usual ones it has as plain text kept as text.
 */
function standardDelimiters(text: string, kw: Kwargs): string {
  const pairs = [
    [kw.variable_start_string, kw.variable_end_string, '{{', '}}'],
    [kw.comment_start_string, kw.comment_end_string, '{#', '#}'],
  ]
    .filter(([s, e]) => s !== undefined || e !== undefined)
    .map(([s, e, ds, de]) => ({ start: String(s ?? ds), end: String(e ?? de), std: ds as string, stdEnd: de as string }));
  if (pairs.length === 0) return text;
  let out = '';
  outer: for (let i = 0; i < text.length; ) {
    for (const p of pairs) {
      if (!text.startsWith(p.start, i)) continue;
      const j = text.indexOf(p.end, i + p.start.length);
      if (j < 0) break;
      out += p.std + text.slice(i + p.start.length, j) + p.stdEnd;
      i = j + p.end.length;
      continue outer;
    }
    // The usual delimiters in the text are text here (a stray end too: nunjucks would take `#}` for one).
    const usual = pairs.flatMap((p) => [p.std, p.stdEnd]).find((d) => text.startsWith(d, i));
    if (usual) {
      out += `{{ '${usual}' }}`;
      i += usual.length;
      continue;
    }
    out += text[i++];
  }
  return out;
}

function run(command: string): string {
  try {
    return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { status?: number; stderr?: string };
    throw new TemplateError(`lookup_plugin.pipe(${command}) returned ${err.status ?? '?'}${err.stderr ? `: ${err.stderr.trim()}` : ''}`);
  }
}

export function isLookupPlugin(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PLUGINS, short(name));
}

export function lookupNames(): string[] {
  return Object.keys(PLUGINS).sort();
}

const short = (name: string) => name.replace(/^ansible\.builtin\./, '');

/** `query(name, *terms, **kw)`: always a list. */
export function query(name: string, terms: unknown[], kw: Kwargs, ctx: LookupContext): unknown[] {
  const plugin = PLUGINS[short(name)];
  if (!plugin) throw new TemplateError(`lookup plugin '${name}' is not supported (supported: ${lookupNames().join(', ')})`);
  return plugin(terms, kw, ctx);
}

/** `lookup(name, *terms, **kw)`: strings joined with commas unless wantlist=True, as Ansible's. */
export function lookup(name: string, terms: unknown[], kw: Kwargs, ctx: LookupContext): unknown {
  const { wantlist, errors, ...rest } = kw;
  let list: unknown[];
  try {
    list = query(name, terms, rest, ctx);
  } catch (e) {
    if (errors === 'ignore') return null;
    if (errors === 'warn') return null;
    throw e;
  }
  if (wantlist) return list;
  if (list.every((x) => typeof x === 'string')) return list.join(',');
  return list.length === 1 ? list[0] : list;
}
