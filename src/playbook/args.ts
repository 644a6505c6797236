/**
 * Module arguments: aliases resolved, Ansible's loose booleans and numbers
 * converted, then checked against the module's schema. Before templating
 * (validate), template strings stand for any type; after it (run), types are strict.
 */
import { isTemplate } from '../template/templar.ts';
import { check } from '../yaml/schema-check.ts';
import type { Location } from '../errors.ts';
import type { ModuleDef } from '../modules/types.ts';

const TRUE = ['yes', 'on', '1', 'true', 'y', 't'];
const FALSE = ['no', 'off', '0', 'false', 'n', 'f'];

function typesOf(prop: unknown): string[] {
  const p = prop as { type?: string | string[]; anyOf?: unknown[]; oneOf?: unknown[] } | undefined;
  const t = p?.type;
  const own = t === undefined ? [] : Array.isArray(t) ? t : [t];
  return [...own, ...[...(p?.anyOf ?? []), ...(p?.oneOf ?? [])].flatMap(typesOf)];
}

/** Resolves aliases and converts values as Ansible's argument spec does. */
export function normalizeArgs(mod: ModuleDef<any>, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = ((mod.schema as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(raw)) {
    const key = mod.argAliases?.[k] ?? k;
    let value = v;
    const types = typesOf(props[key]);
    if (typeof value === 'string' && !isTemplate(value)) {
      if (types.includes('boolean') && !types.includes('string')) {
        const low = value.toLowerCase();
        if (TRUE.includes(low)) value = true;
        else if (FALSE.includes(low)) value = false;
      } else if (types.includes('integer') && !types.includes('string') && /^-?\d+$/.test(value)) value = Number(value);
      else if (types.includes('number') && !types.includes('string') && /^-?\d+(\.\d+)?$/.test(value)) value = Number(value);
    } else if (typeof value === 'number' && types.includes('string') && !types.includes('integer') && !types.includes('number') && key !== 'mode') {
      value = String(value);
    } else if (typeof value === 'boolean' && types.includes('string') && !types.includes('boolean')) {
      value = value ? 'True' : 'False';
    }
    out[key] = value;
  }
  return out;
}

/** A copy of a schema in which any property may also be a template string. */
const looseCache = new WeakMap<object, object>();
export function looseSchema(schema: Record<string, unknown>): object {
  let s = looseCache.get(schema);
  if (!s) {
    const props = (schema.properties ?? {}) as Record<string, unknown>;
    const loose: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(props)) loose[k] = { anyOf: [p, { type: 'string', pattern: '\\{\\{|\\{%' }] };
    s = { ...schema, properties: loose };
    if (!schema.properties && schema.type === 'object') s = schema;
    looseCache.set(schema, s);
  }
  return s;
}

/** Checks arguments; `templated` says whether templates have been rendered yet. */
export function checkArgs(mod: ModuleDef<any>, args: Record<string, unknown>, opts: { templated: boolean; root?: unknown; basePath?: (string | number)[]; location?: Location }): void {
  const schema = opts.templated ? mod.schema : looseSchema(mod.schema as Record<string, unknown>);
  check(schema, args, mod.name, { root: opts.root, basePath: opts.basePath, location: opts.location, moduleArgs: true });
}
