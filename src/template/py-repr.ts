/** Python's repr and str of values, for text Jinja2 and Ansible's plugins print. */

/** Python's repr of a value inside a container, as Jinja2 prints lists and dicts. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    return q + v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').split(q).join(`\\${q}`) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return `{${Object.entries(v as object).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

/** Python's str() of a value (a string as it is, None for nothing, else its repr). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? 'None' : pyRepr(v);
}

/** The name of a value's Python type (type_debug, and messages that quote `type(v)`). */
export function pyTypeName(v: unknown): string {
  return v === null || v === undefined ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'dict' : typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Number.isInteger(v) ? 'int' : 'float';
}
