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
    // As Ansible's parse_kv: the key is what comes before the first unescaped '=' (not the first character), a template too.
    const eq = keyEnd(t.text);
    const key = eq > 0 ? t.text.slice(0, eq).trim() : '';
    if (key && (!freeForm || freeFormKeys.includes(key))) {
      out[key] = unquote(t.text.slice(eq + 1).trim());
      if (freeForm) {
        raw += text.slice(from, t.start);
        from = t.end;
      }
    } else if (!freeForm) out._raw_params = [out._raw_params, t.text.replace(/\\=/g, '=')].filter(Boolean).join(' ');
  }
  if (freeForm) {
    raw = (raw + text.slice(from)).trim();
    if (raw) out._raw_params = raw;
  }
  return out;
}

/** Where the key of a `k=v` word ends: its first '=' after the first character not escaped with '\\', or -1. */
function keyEnd(word: string): number {
  for (let i = word.indexOf('=', 1); i > 0; i = word.indexOf('=', i + 1)) if (word[i - 1] !== '\\') return i;
  return -1;
}
