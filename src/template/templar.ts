/**
 * Jinja2-style templating through nunjucks, with Ansible's habits:
 * variables are templates themselves and are resolved lazily, a string that
 * is exactly one `{{ expr }}` yields the expression's native value, and an
 * undefined variable is an error that names it.
 */
import { BaseFrame, cleanMessage, compile, decodingEscapes, env, parse, renderState, withWhitespace } from './nunjucks-env.ts';
import { toBool } from './filters.ts';
import { TemplateError } from './template-error.ts';
import { undefinedIn } from './undefined.ts';
import { query } from './lookups.ts';
import type { Lookup } from '../util/lookup.ts';

export type { Lookup };
export { TemplateError, undefinedIn };

/**
 * The expression of a text that is exactly one `{{ expr }}` (undefined otherwise), read as Jinja's
 * lexer does: `}}` inside a dict literal or a string does not end it (`{{ x | combine({'a': {'b': 1}}) }}`).
 */
function onlyExpression(text: string): string | undefined {
  if (!text.startsWith('{{') || !text.endsWith('}}')) return undefined;
  let depth = 0;
  let quote = '';
  for (let i = 2; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{') {
      if (text[i + 1] === '{' || text[i + 1] === '%') return undefined;
      depth++;
    } else if (c === '}') {
      if (depth > 0) depth--;
      else if (text[i + 1] === '}') return i + 2 === text.length ? text.slice(2, i) : undefined;
    }
  }
  return undefined;
}

/** True when a string holds template syntax. */
export function isTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
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
  const outer = renderState.vars;
  renderState.vars = lookup;
  try {
    return (tmpl as unknown as { render(ctx: object, frame: unknown): string }).render({}, frame);
  } catch (e) {
    const err = e as Error & { undefinedValue?: boolean };
    if (err instanceof TemplateError) throw err;
    const missing = undefinedIn(src, lookup);
    if (missing) throw new TemplateError(`'${missing}' is undefined`, missing);
    if (err.undefinedValue || /undefined value/.test(err.message)) throw new TemplateError('the template outputs an undefined value');
    throw new TemplateError(cleanMessage(e));
  } finally {
    renderState.vars = outer;
  }
}

renderState.render = (text, vars, dir) => renderFile(text, vars, dir ? [dir] : []);
renderState.literal = literalOrText;

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
  // An empty condition holds, as Ansible's _check_conditional says (an assert item left empty, `when:` with nothing).
  if (expr === null || expr === undefined || expr === '') return true;
  if (typeof expr === 'number') return expr !== 0;
  let s = String(expr).trim();
  const single = onlyExpression(s);
  if (single !== undefined) s = single.trim();
  // A bare condition is read as Ansible's `{% if cond %}`: its string literals' escapes are decoded.
  const v = single !== undefined ? evaluate(s, lookup) : decodingEscapes(() => evaluate(s, lookup));
  // A bare expression is Jinja's truth (a non-empty string is true, "false" too); a "{{ expr }}"
  // condition is rendered first, and the text it gives is read again (Ansible 2.14's two steps).
  if (typeof v === 'string') return single !== undefined ? toBool(v) || (v !== '' && !['false', 'no', 'off', '0', 'n', 'f'].includes(v.toLowerCase()) && v.toLowerCase() !== 'none') : v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Renders one string: a lone `{{ expr }}` keeps its native type, anything else is a string. */
export function renderString(src: string, lookup: Lookup): unknown {
  if (!isTemplate(src)) return src;
  const single = onlyExpression(src);
  if (single !== undefined) {
    const value = evaluate(single.trim(), lookup);
    if (value === undefined) throw new TemplateError(`the expression '${single.trim()}' is undefined`);
    return value;
  }
  const text = renderWith(src, lookup);
  // Ansible 2.14's ansible_eval_concat: text that reads as a Python list, dict or boolean becomes that value.
  if (/^[[{]/.test(text) || text === 'True' || text === 'False') {
    const v = pyLiteral(text);
    if (v !== NOT_LITERAL) return v;
  }
  return text;
}

const NOT_LITERAL = Symbol('not a literal');

/** Text that reads as a Python dict, list or boolean as that value, else the text itself. */
function literalOrText(text: string): unknown {
  // Ansible's out.startswith(('{', '[')): text that starts with a space stays text.
  if (!/^[[{]/.test(text) && text !== 'True' && text !== 'False') return text;
  const v = pyLiteral(text);
  return v === NOT_LITERAL ? text : v;
}

/** Python's ast.literal_eval for what templates print: lists, tuples, dicts, strings, numbers, True/False/None (and JSON's names). */
export function pyLiteral(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (): never => {
    throw NOT_LITERAL;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const out: unknown[] = [];
      ws();
      while (text[i] !== close) {
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail();
        ws();
      }
      i++;
      return out;
    }
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      while (text[i] !== '}') {
        const k = value();
        ws();
        if (text[i++] !== ':') fail();
        out[String(k)] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail();
        ws();
      }
      i++;
      return out;
    }
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') {
          const n = text[++i];
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n;
        } else s += text[i];
        i++;
      }
      if (text[i] !== c) fail();
      i++;
      return s;
    }
    // JSON's true, false and null read as Python's (Ansible's Json2Python before literal_eval).
    const word = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|True|False|None|true|false|null)(?![\w.])/.exec(text.slice(i));
    if (!word) return fail();
    i += word[0].length;
    const constants: Record<string, unknown> = { True: true, true: true, False: false, false: false, None: null, null: null };
    return word[0] in constants ? constants[word[0]] : Number(word[0]);
  };
  try {
    const v = value();
    ws();
    return i === text.length ? v : NOT_LITERAL;
  } catch (e) {
    if (e === NOT_LITERAL) return NOT_LITERAL;
    throw e;
  }
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

const syntaxChecked = new Map<string, string | undefined>();

/**
 * What is wrong with a template's syntax, or a filter or test it names that does not exist; undefined when
 * nothing. Parsed only (code is generated when it is rendered), once per text in a process.
 */
export function syntaxProblem(src: string): string | undefined {
  if (!isTemplate(src)) return undefined;
  if (syntaxChecked.has(src)) return syntaxChecked.get(src);
  let problem: string | undefined;
  try {
    problem = unknownName(parse(src) as AstNode);
  } catch (e) {
    problem = (e as Error).message;
  }
  if (syntaxChecked.size > 5000) syntaxChecked.clear();
  syntaxChecked.set(src, problem);
  return problem;
}

/** The template module's rendering options (Ansible's names and defaults). */
export interface TemplateOptions {
  trim_blocks?: boolean;
  lstrip_blocks?: boolean;
  /** The newline of the template's own text in the output ("\n", "\r" or "\r\n"); values keep theirs. */
  newline_sequence?: string;
}

/** How many '\n' the text ends with (Ansible's _count_newlines_from_end). */
function newlinesAtEnd(s: string): number {
  let n = 0;
  while (n < s.length && s[s.length - 1 - n] === '\n') n++;
  return n;
}

/** The text without its last newline, as Jinja reads a template (keep_trailing_newline off). */
function stripTrailingNewline(s: string): string {
  return s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') || s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** Renders a whole template file's text (the `template` module); its includes are looked for in `dirs` first. */
export function renderFile(text: string, lookup: Lookup, dirs: string[] = [], opts: TemplateOptions = {}): string {
  const outer = renderState.templateDirs;
  renderState.templateDirs = dirs;
  // Jinja turns the template's own newlines into newline_sequence (values are left alone): so does the source here.
  const nl = opts.newline_sequence ?? '\n';
  // Jinja drops the source's last newline (keep_trailing_newline off); Ansible then adds newlines
  // until the output ends with as many as the source did.
  let src = stripTrailingNewline(text);
  if (nl !== '\n') src = src.replace(/\r\n|\r|\n/g, nl);
  try {
    const out = withWhitespace({ trimBlocks: opts.trim_blocks ?? true, lstripBlocks: opts.lstrip_blocks ?? false, decodeEscapes: true }, () => renderWith(src, lookup));
    const missing = newlinesAtEnd(text) - newlinesAtEnd(out);
    return missing > 0 ? out + nl.repeat(missing) : out;
  } finally {
    renderState.templateDirs = outer;
  }
}

/** `query(name, *terms)` with the given variables: the items of a `with_<name>` loop. */
export function queryLookup(name: string, terms: unknown[], lookup: Lookup): unknown[] {
  return query(name, terms, {}, { vars: lookup, render: (text, vars, dir) => renderFile(text, vars, dir ? [dir] : []), literal: literalOrText });
}

type AstNode = { typename: string; fields?: string[]; [k: string]: unknown };

/** A filter or test the template uses that jitsi-fleet does not have: said before the run, not when the task comes. */
function unknownName(ast: AstNode): string | undefined {
  const e = env as unknown as { filters: Record<string, unknown>; tests: Record<string, unknown> };
  let found: string | undefined;
  const walk = (n: unknown): void => {
    if (found || !n || typeof n !== 'object') return;
    const node = n as AstNode;
    if (node.typename === 'Filter') {
      const name = String((node.name as AstNode)?.value ?? '');
      if (name && !(name in e.filters)) found = `the filter '${name}' is not supported by jitsi-fleet`;
    } else if (node.typename === 'Is') {
      const right = node.right as AstNode;
      const name = String(right?.value ?? (right?.name as AstNode)?.value ?? '');
      if (name && !(name in e.tests)) found = `the test '${name}' is not supported by jitsi-fleet`;
    }
    for (const f of node.fields ?? []) {
      const c = node[f];
      if (Array.isArray(c)) c.forEach(walk);
      else walk(c);
    }
    if (Array.isArray(node.children)) (node.children as unknown[]).forEach(walk);
  };
  walk(ast);
  return found;
}
