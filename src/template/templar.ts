/**
 * Jinja2-style templating through nunjucks, with Ansible's habits:
 * variables are templates themselves and are resolved lazily, a string that
 * is exactly one `{{ expr }}` yields the expression's native value, and an
 * undefined variable is an error that names it.
 */
import { BaseFrame, cleanMessage, compile, renderState } from './nunjucks-env.ts';
import { toBool } from './filters.ts';
import { TemplateError } from './template-error.ts';
import { undefinedIn } from './undefined.ts';
import { query } from './lookups.ts';
import type { Lookup } from '../util/lookup.ts';

export type { Lookup };
export { TemplateError, undefinedIn };

const SINGLE = /^\s*\{\{((?:(?!\{\{|\}\}).)*)\}\}\s*$/s;
/** A value that is exactly one expression keeps its native type; with text around it (a trailing newline too) it is a string, as Ansible's. */
const ONLY_EXPRESSION = /^\{\{((?:(?!\{\{|\}\}).)*)\}\}$/s;

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

renderState.render = (text, vars) => renderWith(text, vars);

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
  // A bare expression is Jinja's truth (a non-empty string is true, "false" too); a "{{ expr }}"
  // condition is rendered first, and the text it gives is read again (Ansible 2.14's two steps).
  if (typeof v === 'string') return single ? toBool(v) || (v !== '' && !['false', 'no', 'off', '0', 'n', 'f'].includes(v.toLowerCase()) && v.toLowerCase() !== 'none') : v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Renders one string: a lone `{{ expr }}` keeps its native type, anything else is a string. */
export function renderString(src: string, lookup: Lookup): unknown {
  if (!isTemplate(src)) return src;
  const single = ONLY_EXPRESSION.exec(src);
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

/** `query(name, *terms)` with the given variables: the items of a `with_<name>` loop. */
export function queryLookup(name: string, terms: unknown[], lookup: Lookup): unknown[] {
  return query(name, terms, {}, { vars: lookup, render: (text, vars) => renderWith(text, vars) });
}
