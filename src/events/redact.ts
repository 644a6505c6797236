/**
 * Secrets never leave the process in the clear: the engine passes every
 * event through a Redactor before any renderer sees it (values marked
 * secret, values under secret-looking names, no_log results).
 */
export const REDACTED = '********';
export const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** Variable names whose values are secrets (component secrets, passwords, tokens). */
/** Names whose values are secrets; getent's passwd database (accounts, no hashes) is not one. */
export const SECRET_NAME = /^(?!getent_passwd\b)(?=.*(password|passwd|secret|token))/i;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Marks a value (and each of its string leaves) as secret. Values shorter than 4 characters are too common to mask. */
  add(value: unknown): void {
    if (typeof value === 'string') {
      if (value.length >= 4) this.secrets.add(value);
    } else if (Array.isArray(value)) value.forEach((v) => this.add(v));
    else if (value && typeof value === 'object') Object.values(value).forEach((v) => this.add(v));
    else if (typeof value === 'number' && String(value).length >= 6) this.secrets.add(String(value));
  }

  /** Marks the values found under secret-looking names (`jvb_secret: ...`) anywhere inside `v`. */
  addByName(v: unknown): void {
    if (Array.isArray(v)) v.forEach((x) => this.addByName(x));
    else if (v && typeof v === 'object' && !(v instanceof Buffer)) {
      for (const [k, x] of Object.entries(v)) {
        if (SECRET_NAME.test(k)) this.add(x);
        else this.addByName(x);
      }
    }
  }

  get size(): number {
    return this.secrets.size;
  }

  text(s: string): string {
    if (this.secrets.size === 0 || !s) return s;
    let out = s;
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      const b64 = Buffer.from(secret).toString('base64').replace(/=+$/, '');
      if (b64.length >= 8 && out.includes(b64)) out = out.split(b64).join(REDACTED);
    }
    return out;
  }

  /**
   * A deep copy with every secret masked; with `byName` (a task's result,
   * variables), also every value under a secret-looking name.
   */
  value<T>(v: T, byName = false): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.value(x, byName)) as T;
    if (v && typeof v === 'object' && !(v instanceof Buffer)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = byName && SECRET_NAME.test(k) && x !== null && x !== undefined && x !== '' && typeof x !== 'boolean' ? masked(x) : this.value(x, byName);
      return out as T;
    }
    return v;
  }

  /** An event as renderers may see it: secrets masked, and a task's result also by name. */
  event<E extends { kind: string; result?: Record<string, unknown> }>(e: E): E {
    const out = this.value(e);
    if (out.result) out.result = this.value(out.result, true);
    return out;
  }
}

/** A value shown in place of a secret: its shape kept (a list stays a list), every leaf masked. */
function masked(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(masked);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).map((k) => [k, masked((v as Record<string, unknown>)[k])]));
  return REDACTED;
}
