/**
 * The static checks the loader runs on what it reads, before anything runs:
 * keywords we know (with a "did you mean"), template and condition syntax,
 * handler names. Each problem is an input error with its location.
 */
import { InputError, type Location } from '../errors.ts';
import type { ModuleDef } from '../modules/types.ts';
import { isTemplate, syntaxProblem } from '../template/templar.ts';
import { suggest } from '../util/suggest.ts';
import { locate, locateKey } from '../yaml/source.ts';
import { unsupportedWith } from './keywords.ts';
import type { Node } from './types.ts';

export type Raw = Record<string, unknown>;

export function isMapping(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function where(obj: unknown, file: string, key?: string): Location {
  return (key === undefined ? locate(obj) : locateKey(obj, key)) ?? { file, line: 1, column: 1 };
}

/** Checks the syntax of every template string inside a value. */
export function checkTemplates(value: unknown, owner: unknown, key: string | number | undefined, file: string): void {
  if (typeof value === 'string') {
    if (!isTemplate(value)) return;
    const problem = syntaxProblem(value);
    if (problem) {
      throw new InputError(`template error in ${JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)}: ${problem}`, {
        location: locate(owner, key) ?? { file, line: 1, column: 1 },
      });
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => checkTemplates(v, value, i, file));
  else if (isMapping(value)) for (const [k, v] of Object.entries(value)) checkTemplates(v, value, k, file);
}

/** Conditions are bare expressions: check them as `{{ expr }}`. */
export function checkConditions(conds: unknown[] | undefined, owner: Raw, key: string): void {
  for (const c of conds ?? []) {
    if (typeof c !== 'string') continue;
    const expr = /^\s*\{\{.*\}\}\s*$/s.test(c) ? c : `{{ ${c} }}`;
    const problem = syntaxProblem(expr);
    if (problem) throw new InputError(`bad condition ${JSON.stringify(c)} in '${key}': ${problem}`, { location: locate(owner, key) });
  }
}

export function rejectUnknownKeys(raw: Raw, allowed: string[], what: string, file: string, extra: string[] = []): void {
  for (const key of Object.keys(raw)) {
    if (allowed.includes(key) || extra.includes(key)) continue;
    const why = unsupportedWith(key);
    if (why) throw new InputError(`'${key}' is not supported in a ${what}: ${why}`, { location: where(raw, file, key) });
    const near = suggest(key, [...allowed, ...extra]);
    throw new InputError(`unknown keyword '${key}' in a ${what}`, {
      location: where(raw, file, key),
      hint: near ? `did you mean '${near}'?` : `supported: ${allowed.join(', ')}`,
    });
  }
}

/** The argument names a module takes (with aliases). */
export function moduleArgNames(mod: ModuleDef<any>): string[] {
  return [...Object.keys((mod.schema as { properties?: object }).properties ?? {}), ...Object.keys(mod.argAliases ?? {})].filter((k) => !k.startsWith('_'));
}

/** Every `notify` must name a handler (or a `listen` topic) of the play. */
export function checkNotify(nodes: Node[], handlerNames: string[], problems: InputError[]): void {
  for (const n of nodes) {
    if (n.kind === 'block') checkNotify([...n.block, ...n.rescue, ...n.always], handlerNames, problems);
    else if (n.kind === 'include') checkNotify(n.tasks, handlerNames, problems);
    else {
      for (const name of n.notify ?? []) {
        if (handlerNames.includes(name) || isTemplate(name)) continue;
        const near = suggest(name, handlerNames);
        problems.push(new InputError(`notify names a handler that does not exist: '${name}'`, {
          location: locateKey(n.raw, 'notify') ?? n.location,
          hint: near ? `did you mean '${near}'?` : handlerNames.length ? `handlers of this play: ${handlerNames.join(', ')}` : 'this play has no handlers',
        }));
      }
    }
  }
}

