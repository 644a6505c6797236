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
  if (freeForm) {
    // Free form: Ansible's split_args and join_args (newlines kept, `\` line continuations joined), less the options.
    const raw: string[] = [];
    for (const word of ansibleSplitArgs(text)) {
      const eq = keyEnd(word);
      const key = eq > 0 ? word.slice(0, eq).trim() : '';
      if (key && freeFormKeys.includes(key)) out[key] = unquote(decodeEscapes(word.slice(eq + 1)).trim());
      else raw.push(word);
    }
    const joined = raw.reduce((acc, w) => (acc === '' || acc.endsWith('\n') ? acc + w : `${acc} ${w}`), '');
    if (joined.trim()) out._raw_params = joined;
    return out;
  }
  for (const t of tokens(text)) {
    // As Ansible's parse_kv: the key is what comes before the first unescaped '=' (not the first character), a template too.
    const eq = keyEnd(t.text);
    const key = eq > 0 ? t.text.slice(0, eq).trim() : '';
    // Values have Python's escapes decoded first (Ansible's _decode_escapes): `regexp='\b'` is a backspace, `'\\b'` a word boundary.
    if (key) out[key] = unquote(decodeEscapes(t.text.slice(eq + 1)).trim());
    else out._raw_params = [out._raw_params, t.text.replace(/\\=/g, '=')].filter(Boolean).join(' ');
  }
  return out;
}

const SINGLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Ansible's _decode_escapes: \\ \' \" \a \b \f \n \r \t \v, \xhh, \uXXXX and \UXXXXXXXX decoded; any other
 * backslash kept (no octal: `replace='\1'` stays a back-reference).
 */
export function decodeEscapes(s: string): string {
  return s.replace(/\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\\'"abfnrtv])/g, (_m, e: string) =>
    e.length === 1 ? SINGLE_ESCAPES[e] : String.fromCodePoint(Number.parseInt(e.slice(1), 16)),
  );
}

/** Whether a word leaves a quote open (Ansible's _get_quote_state), given the quote open before it. */
function quoteState(token: string, quote: string | null): string | null {
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    if ((c === '"' || c === "'") && (i === 0 || token[i - 1] !== '\\')) {
      if (quote) {
        if (c === quote) quote = null;
      } else quote = c;
    }
  }
  return quote;
}

/** Jinja block depth after a word (Ansible's _count_jinja2_blocks). */
function blockDepth(token: string, depth: number, open: string, close: string): number {
  const opens = token.split(open).length - 1;
  const closes = token.split(close).length - 1;
  return opens === closes ? depth : Math.max(0, depth + opens - closes);
}

/**
 * Ansible's split_args, ported line for line: words split on single spaces
 * (runs of spaces kept on the word before), put back together inside quotes
 * and Jinja blocks, a newline kept at the end of each line's last word, a
 * lone `\` outside quotes a line continuation.
 */
export function ansibleSplitArgs(args: string): string[] {
  const params: string[] = [];
  const items = args.split('\n');
  let quote: string | null = null;
  let inside = false;
  let print = 0;
  let block = 0;
  let comment = 0;
  items.forEach((item, itemIdx) => {
    const words = item.split(' ');
    let continuation = false;
    words.forEach((token, idx) => {
      if (token.length === 0 && idx !== 0) {
        if (params.length) params[params.length - 1] += ' ';
        return;
      }
      if (token === '\\' && !inside) {
        continuation = true;
        return;
      }
      const wasInside = inside;
      quote = quoteState(token, quote);
      inside = quote !== null;
      let appended = false;
      if (inside && !wasInside && !(print || block || comment)) {
        params.push(token);
        appended = true;
      } else if (print || block || comment || inside || wasInside) {
        const last = params.length - 1;
        if (idx === 0 && wasInside) params[last] = `${params[last]}${token}`;
        else if (words.length > 1) params[last] = `${params[last]}${idx > 0 ? ' ' : ''}${token}`;
        else params[last] = `${params[last]}\n${token}`;
        appended = true;
      }
      for (const [open, close, which] of [['{{', '}}', 'p'], ['{%', '%}', 'b'], ['{#', '#}', 'c']] as const) {
        const before = which === 'p' ? print : which === 'b' ? block : comment;
        const after = blockDepth(token, before, open, close);
        if (which === 'p') print = after;
        else if (which === 'b') block = after;
        else comment = after;
        if (after !== before && !appended) {
          params.push(token);
          appended = true;
        }
      }
      if (!(print || block || comment) && !inside && !appended && token !== '') params.push(token);
    });
    if (items.length > 1 && itemIdx !== items.length - 1 && !continuation && params.length) params[params.length - 1] += '\n';
  });
  if (print || block || comment || inside) throw new Error(`failed at splitting arguments, either an unbalanced jinja2 block or quotes: ${args}`);
  return params;
}

/** Where the key of a `k=v` word ends: its first '=' after the first character not escaped with '\\', or -1. */
function keyEnd(word: string): number {
  for (let i = word.indexOf('=', 1); i > 0; i = word.indexOf('=', i + 1)) if (word[i - 1] !== '\\') return i;
  return -1;
}
