/**
 * Modules that run on the controller and touch no host: set_fact, debug,
 * assert, fail. Their arguments arrive templated.
 *
 * ```yaml
 * - set_fact: { jvb_secret: "{{ cfg.content | b64decode | regex_search('JVB_SECRET=(.*)', '\\1') | first }}" }
 * - assert: { that: ["jvb_secret | length > 0"], fail_msg: "no secret" }
 * - debug: { var: jvb_secret }
 * - fail: { msg: "unsupported release" }
 * ```
 */
import { condition, evaluate } from '../template/templar.ts';
import type { ModuleDef } from './types.ts';

export const setFact: ModuleDef<Record<string, unknown>> = {
  name: 'set_fact',
  controller: true,
  // A name may be templated (`until_path_{{ idx }}`); it is checked once rendered.
  schema: { type: 'object', minProperties: 1, propertyNames: { pattern: '^([A-Za-z_][A-Za-z0-9_]*|.*\\{\\{.*)$' } },
  async plan(a) {
    const { cacheable: _c, ...given } = a;
    // As Ansible's set_fact (non-native Jinja): the strings true/false/yes/no become booleans.
    const facts = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, typeof v === 'string' && ['true', 'false', 'yes', 'no'].includes(v.toLowerCase()) ? ['true', 'yes'].includes(v.toLowerCase()) : v]));
    return { changes: [], msg: `set ${Object.keys(facts).join(', ')}`, result: { ansible_facts: facts } };
  },
};

export const debug: ModuleDef<{ msg?: unknown; var?: string; verbosity?: number }> = {
  name: 'debug',
  controller: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { msg: {}, var: { type: 'string' }, verbosity: { type: 'integer' } },
    not: { required: ['msg', 'var'] },
    errorMessage: 'debug takes msg or var, not both',
  },
  async plan(a, ctx) {
    if (a.var !== undefined) {
      let value: unknown;
      try {
        value = evaluate(a.var, ctx.vars);
      } catch {
        value = 'VARIABLE IS NOT DEFINED!';
      }
      if (value === undefined) value = 'VARIABLE IS NOT DEFINED!';
      return { changes: [], msg: `${a.var}: ${typeof value === 'string' ? value : JSON.stringify(value)}`, result: { [a.var]: value } };
    }
    const msg = a.msg === undefined ? 'Hello world!' : a.msg;
    return { changes: [], msg: typeof msg === 'string' ? msg : JSON.stringify(msg), result: { msg } };
  },
};

export const assert: ModuleDef<{ that: unknown; fail_msg?: unknown; msg?: unknown; success_msg?: unknown; quiet?: boolean }> = {
  name: 'assert',
  controller: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['that'],
    properties: { that: {}, fail_msg: {}, msg: {}, success_msg: {}, quiet: { type: 'boolean' } },
  },
  async plan(a, ctx) {
    const conditions = Array.isArray(a.that) ? a.that : [a.that];
    for (const c of conditions) {
      if (!condition(c, ctx.vars)) {
        const msg = a.fail_msg ?? a.msg ?? 'Assertion failed';
        return { changes: [], failed: true, msg: typeof msg === 'string' ? msg : JSON.stringify(msg), result: { assertion: c, evaluated_to: false } };
      }
    }
    const ok = a.success_msg ?? 'All assertions passed';
    return { changes: [], msg: typeof ok === 'string' ? ok : JSON.stringify(ok) };
  },
};

export const fail: ModuleDef<{ msg?: unknown }> = {
  name: 'fail',
  controller: true,
  schema: { type: 'object', additionalProperties: false, properties: { msg: {} } },
  async plan(a) {
    const msg = a.msg ?? 'Failed as requested from task';
    return { changes: [], failed: true, msg: typeof msg === 'string' ? msg : JSON.stringify(msg) };
  },
};

/**
 * pause: wait some seconds (or minutes), as Ansible's pause with a duration.
 * A prompt needs a person at a terminal: it is refused (runs are non-interactive).
 */
export const pause: ModuleDef<{ seconds?: number | string; minutes?: number | string; prompt?: string; echo?: boolean }> = {
  name: 'pause',
  controller: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { seconds: { type: ['integer', 'string'] }, minutes: { type: ['integer', 'string'] }, prompt: { type: 'string' }, echo: { type: 'boolean' } },
    not: { required: ['seconds', 'minutes'] },
    errorMessage: 'pause takes seconds or minutes, not both',
  },
  async plan(a) {
    if (a.prompt !== undefined || (a.seconds === undefined && a.minutes === undefined)) {
      return { changes: [], failed: true, msg: 'pause: waiting for a person (a prompt, or no duration) is not supported: runs are non-interactive; give seconds or minutes' };
    }
    const seconds = a.seconds !== undefined ? Number(a.seconds) : Number(a.minutes) * 60;
    if (!Number.isFinite(seconds) || seconds < 0) return { changes: [], failed: true, msg: `pause: the duration must be a number, got '${a.seconds ?? a.minutes}'` };
    const start = new Date();
    await new Promise((res) => setTimeout(res, Math.floor(seconds) * 1000));
    const stop = new Date();
    return { changes: [], msg: `Paused for ${a.minutes !== undefined ? `${Number(a.minutes)} minutes` : `${Math.floor(seconds)} seconds`}`, result: { start: start.toISOString(), stop: stop.toISOString(), delta: Math.round((stop.getTime() - start.getTime()) / 1000), user_input: '', echo: true } };
  },
};

/** ping: the host answers (its connection is up by the time a task runs); `data: crash` fails, as Ansible's. */
export const ping: ModuleDef<{ data: string }> = {
  name: 'ping',
  controller: true,
  schema: { type: 'object', additionalProperties: false, properties: { data: { type: 'string', default: 'pong' } } },
  async plan(a) {
    if (a.data === 'crash') return { changes: [], failed: true, msg: 'boom' };
    return { changes: [], msg: a.data, result: { ping: a.data } };
  },
};
