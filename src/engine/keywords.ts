/**
 * Boolean keywords (become, check_mode, diff, no_log, run_once,
 * ignore_errors, any_errors_fatal, gather_facts), resolved one way: the
 * innermost frame that sets the keyword wins, a template is rendered first,
 * and the value is read with Ansible's boolean rules (`boolean(v,
 * strict=False)`: yes/on/1/true/y/t are true, anything else false).
 */
import type { Become } from '../connection/types.ts';
import type { Keywords } from '../playbook/types.ts';
import { renderString } from '../template/templar.ts';
import type { Lookup } from '../util/lookup.ts';

const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't', '1.0']);

/** Ansible's `boolean(value, strict=False)`. */
export function ansibleBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return TRUE.has(v.trim().toLowerCase());
  return false;
}

/** A keyword's value as a boolean: rendered when it is a template, then Ansible's rules. */
export function keywordBool(v: unknown, lookup: Lookup): boolean {
  return ansibleBool(typeof v === 'string' ? renderString(v, lookup) : v);
}

/** The innermost frame's value of a keyword (frames from the play down to the task). */
export function inherited<K extends keyof Keywords>(frames: Keywords[], key: K): Keywords[K] | undefined {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i][key] !== undefined) return frames[i][key];
  return undefined;
}

/** The innermost value of a boolean keyword, resolved; `fallback` when no frame sets it. */
export function boolKeyword(frames: Keywords[], key: 'become' | 'ignoreErrors' | 'ignoreUnreachable' | 'noLog' | 'checkMode' | 'diff' | 'runOnce' | 'anyErrorsFatal', lookup: Lookup, fallback: boolean): boolean {
  const v = inherited(frames, key);
  return v === undefined ? fallback : keywordBool(v, lookup);
}

/**
 * Who a task runs as (sudo), resolved once: the become keyword (innermost
 * frame, the play's as default), else `ansible_become`; the user from
 * become_user or `ansible_become_user`; the password from the become
 * password variables. Undefined: the login user.
 */
export function becomeFor(frames: Keywords[], play: { become?: boolean | string; becomeUser?: string }, lookup: Lookup): Become | undefined {
  const kw = inherited(frames, 'become') ?? play.become;
  const on = kw !== undefined ? keywordBool(kw, lookup) : ansibleBool(lookup('ansible_become') ?? false);
  if (!on) return undefined;
  const user = String(inherited(frames, 'becomeUser') ?? play.becomeUser ?? lookup('ansible_become_user') ?? 'root');
  const pw = lookup('ansible_become_password') ?? lookup('ansible_become_pass') ?? lookup('ansible_sudo_pass');
  return { user, password: pw === undefined || pw === null ? undefined : String(pw) };
}
