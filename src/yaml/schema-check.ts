/**
 * Schema validation and the translation of its errors into located,
 * readable input errors. The validators of the project's own schemas
 * (modules, plays, tasks, inventories) are compiled to code when the project
 * is built (scripts/build-validators.mjs, ajv's standalone code), found here
 * by a hash of the schema, one file each; ajv itself is loaded only for a schema that was not
 * compiled ahead (a test's module), so a run does not pay for compiling.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvType, ErrorObject, ValidateFunction } from 'ajv';
import { InputError, type Location } from '../errors.ts';
import { suggest } from '../util/suggest.ts';
import { locateKey, locatePath } from './source.ts';

/** The options every validator is compiled with, ahead of time or here. */
export const AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: true, verbose: true } as const;
/** Keywords of our schemas that carry no check (read by the error translation). */
export const EXTRA_KEYWORDS = [
  // The message of an anyOf/oneOf/not at this level (the whole check: "src (or content) is required").
  { keyword: 'errorMessage', schemaType: 'string' as const },
  // The message of a `required` at this level ("dest is required", as the module's own words).
  { keyword: 'missingMessage', schemaType: 'string' as const },
];

const require = createRequire(import.meta.url);

/** The key a schema's ahead-of-time validator is stored under: a hash of its JSON. */
export function schemaKey(schema: object): string {
  return 'v' + createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 20);
}

/** Where the build put the validators: beside this module (dist/src/yaml/), or seen from the bundled CLI (dist/bundle/). */
let aheadDir: URL | null | undefined;

type Loaded = ValidateFunction | { default: ValidateFunction };
/** The validators inside the bundle (scripts/bundle.mjs), each loaded when first asked for. */
let bundled: Record<string, () => Loaded> | undefined;
/** Called by the bundle's entry: its validators are compiled with the rest of the bundle, so V8's code cache holds them too. */
export function useBundledValidators(index: Record<string, () => Loaded>): void {
  bundled = index;
}

/** The validator compiled at build time for this key, if there is one. */
function compiledAhead(key: string): ValidateFunction | undefined {
  if (bundled) {
    const m = bundled[key]?.();
    return m === undefined ? undefined : typeof m === 'function' ? m : m.default;
  }
  aheadDir ??= [new URL('./validators/', import.meta.url), new URL('../src/yaml/validators/', import.meta.url)].find((u) => existsSync(u)) ?? null;
  if (!aheadDir) return undefined;
  const file = new URL(`${key}.cjs`, aheadDir);
  if (!existsSync(file)) return undefined;
  const m = require(fileURLToPath(file)) as ValidateFunction | { default: ValidateFunction };
  return typeof m === 'function' ? m : m.default;
}

let ajvInstance: AjvType | undefined;
function ajv(): AjvType {
  if (!ajvInstance) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    ajvInstance = new Ajv(AJV_OPTIONS);
    for (const k of EXTRA_KEYWORDS) ajvInstance.addKeyword(k);
  }
  return ajvInstance;
}

/** How many validators were compiled at run time (the rest came compiled from the build). */
export const compiledAtRunTime = { count: 0 };

const cache = new WeakMap<object, ValidateFunction>();
export function validator(schema: object): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    v = compiledAhead(schemaKey(schema));
    if (!v) {
      v = ajv().compile(schema);
      compiledAtRunTime.count++;
    }
    cache.set(schema, v);
  }
  return v;
}

function describeValue(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** A `required` inside one branch of an alternative is not the reason (the alternative's message is). */
const inBranch = (e: ErrorObject) => e.keyword === 'required' && /\/(anyOf|oneOf)\/\d+\/required$/.test(e.schemaPath);

/** Picks the most useful error: a specific one over the anyOf/oneOf summary. */
function pick(errors: ErrorObject[]): ErrorObject {
  const specific = errors.filter((e) => !['anyOf', 'oneOf', 'not', 'if'].includes(e.keyword) && !inBranch(e));
  const byDepth = (list: ErrorObject[]) => [...list].sort((a, b) => b.instancePath.length - a.instancePath.length);
  for (const keyword of ['additionalProperties', 'enum', 'required']) {
    const hit = byDepth(specific).find((e) => e.keyword === keyword);
    if (hit) return hit;
  }
  return byDepth(errors.filter((e) => ['anyOf', 'oneOf', 'not'].includes(e.keyword)))[0] ?? byDepth(specific)[0] ?? errors[0];
}

/**
 * Validates `data` and throws an InputError naming the file position of the
 * offending node, the value and what is expected.
 */
export function check(schema: object, data: unknown, what: string, opts: { root?: unknown; basePath?: (string | number)[]; location?: Location; moduleArgs?: boolean } = {}): void {
  const v = validator(schema);
  if (v(data)) return;
  const err = pick(v.errors ?? []);
  const path = err.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const root = opts.root ?? data;
  const fullPath = [...(opts.basePath ?? []), ...path];
  let location = locatePath(root, fullPath) ?? opts.location;
  const field = path.length ? path.join('.') : what;
  let value: unknown = data;
  for (const p of path) value = (value as Record<string, unknown>)?.[p];
  let message: string;
  let hint: string | undefined;
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      let parent: unknown = root;
      for (const part of fullPath) parent = (parent as Record<string, unknown> | undefined)?.[part];
      location = locateKey(parent, extra) ?? locatePath(root, [...fullPath, extra]) ?? location;
      message = `unsupported ${path.length ? `key '${extra}' in ${field}` : `argument '${extra}'`} for ${what}`;
      const known = Object.keys(((schema as Record<string, unknown>).properties as object) ?? {});
      const near = suggest(extra, known);
      hint = near ? `did you mean '${near}'?` : known.length ? `supported: ${known.join(', ')}` : undefined;
      break;
    }
    case 'required': {
      const custom = (err.parentSchema as Record<string, unknown> | undefined)?.missingMessage;
      // A module's arguments: Ansible's words, every missing one ("missing required arguments: path").
      const missing = [...new Set((v.errors ?? []).filter((e) => e.keyword === 'required' && e.instancePath === '' && !inBranch(e)).map((e) => String(e.params.missingProperty)))].sort();
      message =
        typeof custom === 'string' && err.instancePath === ''
          ? `${what}: ${custom}`
          : path.length
            ? `missing required key '${params.missingProperty}' in ${field} for ${what}`
            : opts.moduleArgs
              ? `missing required arguments: ${missing.join(', ')}`
              : `missing required argument '${params.missingProperty}' for ${what}`;
      if (opts.moduleArgs && !path.length) hint = `${what} takes: ${Object.keys(((schema as Record<string, unknown>).properties as object) ?? {}).join(', ')}`;
      break;
    }
    case 'enum':
      message = `${field} is ${describeValue(value)}; it must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'type':
      message = `${field} is ${describeValue(value)}; it must be ${params.type}`;
      break;
    case 'not':
    case 'oneOf':
    case 'anyOf': {
      const custom = (err.parentSchema as Record<string, unknown> | undefined)?.errorMessage;
      message = typeof custom === 'string' && err.instancePath === '' ? `${what}: ${custom}` : `${field} is ${describeValue(value)}; ${anyOfExpectation(err)}`;
      break;
    }
    default:
      message = `${field} ${err.message ?? 'is invalid'} (${describeValue(value)})`;
  }
  throw new InputError(message, { location, hint });
}

function anyOfExpectation(err: ErrorObject): string {
  const alts = ((err.schema as object[] | undefined) ?? []).map((s) => {
    const t = s as Record<string, unknown>;
    if (t.pattern) return 'a template';
    if (t.type === 'array') return 'a list';
    if (t.type === 'object') return 'a mapping';
    if (t.type === 'null') return 'empty';
    return t.type ? `a ${t.type}` : 'a value of another form';
  });
  return alts.length ? `it must be ${[...new Set(alts)].join(' or ')}` : 'it does not have the expected form';
}
