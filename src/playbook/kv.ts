/**
 * Ansible's `key=value` argument strings (`lineinfile: path=/x line="a b"`)
 * and free-form commands (`command: echo hi chdir=/tmp`).
 */

/** Splits on spaces outside quotes and `{{ }}`, keeping quotes as Ansible's split_args does. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (!quote && (two === '{{' || two === '{%')) { depth++; cur += two; i++; continue; }
    if (!quote && depth > 0 && (two === '}}' || two === '%}')) { depth--; cur += two; i++; continue; }
    if (quote) {
      if (c === '\\' && text[i + 1] === quote) { cur += c + quote; i++; continue; }
      if (c === quote) quote = null;
      cur += c;
    } else if ((c === '"' || c === "'") && depth === 0) {
      quote = c;
      cur += c;
    } else if (/\s/.test(c) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) {
    return s.slice(1, -1).replace(new RegExp('\\\\' + s[0], 'g'), s[0]);
  }
  return s;
}

/**
 * Parses `k=v k2="v 2"`. With `freeForm`, words that are not `k=v` (and `k=v`
 * whose key is not in `freeFormKeys`) form `_raw_params`.
 */
export function parseKv(text: string, freeForm = false, freeFormKeys: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const raw: string[] = [];
  for (const word of splitArgs(text)) {
    const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(word);
    if (m && (!freeForm || freeFormKeys.includes(m[1]))) out[m[1]] = unquote(m[2]);
    else if (freeForm) raw.push(word);
    else out._raw_params = [out._raw_params, word].filter(Boolean).join(' ');
  }
  if (raw.length) out._raw_params = raw.join(' ');
  return out;
}
