/**
 * Python's json.dumps, which Ansible's to_json, to_nice_json and copy's
 * non-text `content` use: `", "` and `": "` between items (`","` with an
 * indent), non-ASCII written as \uXXXX (ensure_ascii), keys sorted on request.
 * The same value gives the same bytes as under Ansible.
 */
export interface PyJsonOptions {
  indent?: number;
  sortKeys?: boolean;
  ensureAscii?: boolean;
  separators?: [string, string];
}

export function pyJsonDumps(value: unknown, opts: PyJsonOptions = {}): string {
  const { indent, sortKeys = false, ensureAscii = true } = opts;
  const [itemSep, keySep] = opts.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const str = (s: string) => {
    const json = JSON.stringify(s);
    return ensureAscii ? json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
  };
  const walk = (x: unknown, level: number): string => {
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'number') return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
    if (typeof x === 'string') return str(x);
    const open = indent === undefined ? '' : `\n${' '.repeat(indent * (level + 1))}`;
    const close = indent === undefined ? '' : `\n${' '.repeat(indent * level)}`;
    if (Array.isArray(x)) return x.length ? `[${open}${x.map((e) => walk(e, level + 1)).join(itemSep + open)}${close}]` : '[]';
    const obj = x as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
    if (sortKeys) keys.sort();
    return keys.length ? `{${open}${keys.map((k) => `${str(k)}${keySep}${walk(obj[k], level + 1)}`).join(itemSep + open)}${close}}` : '{}';
  };
  return walk(value, 0);
}
