/**
 * Ansible's `key=value` argument strings (`lineinfile: path=/x line="a b"`)
 * and free-form commands (`command: echo hi chdir=/tmp`).
 */

/** Splits on spaces outside quotes and `{{ }}`, keeping quotes as Ansible's split_args does. */
export function splitArgs(text: string): string[] {
  return tokens(text).map((t) => t.text);
}

/** The words of `text` with where each starts and ends. */
function tokens(text: string): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let cur = '';
  let start = 0;
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (!cur) start = i;
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
      if (cur) out.push({ text: cur, start, end: i });
      cur = '';
    } else cur += c;
  }
  if (cur) out.push({ text: cur, start, end: text.length });
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
  // Free form keeps the command's text as written (newlines of a `shell: |` script included), less the options.
  let raw = '';
  let from = 0;
  for (const t of tokens(text)) {
    const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(t.text);
    if (m && (!freeForm || freeFormKeys.includes(m[1]))) {
      out[m[1]] = unquote(m[2]);
      if (freeForm) {
        raw += text.slice(from, t.start);
        from = t.end;
      }
    } else if (!freeForm) out._raw_params = [out._raw_params, t.text].filter(Boolean).join(' ');
  }
  if (freeForm) {
    raw = (raw + text.slice(from)).trim();
    if (raw) out._raw_params = raw;
  }
  return out;
}
