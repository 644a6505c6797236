/**
 * A HOCON reader that keeps where everything is, so that one value can be
 * changed while every other byte of the file (comments, order, layout)
 * stays: fields with the spans of their key and value, objects with their
 * braces. Values are read enough to compare them (strings unquoted), not
 * resolved: includes and substitutions are kept as written.
 */

export class HoconSyntaxError extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(`${message} at line ${line}, column ${column}`);
  }
}

export type Value =
  | { kind: 'object'; object: ObjectNode; start: number; end: number }
  | { kind: 'array'; start: number; end: number }
  | { kind: 'string'; text: string; quoted: boolean; start: number; end: number };

export interface Field {
  /** The key path as written in this field (`a.b` in `a.b = 1`). */
  path: string[];
  /** Where the field starts (its key) and where its value ends. */
  start: number;
  end: number;
  value: Value;
}

export interface ObjectNode {
  /** Offset of `{` (or -1 for a root without braces) and of `}` (or the text's end). */
  open: number;
  close: number;
  fields: Field[];
}

const UNQUOTED_STOP = '$"{}[]:=,+#`^?!@*&\\';

export function parseHocon(text: string): ObjectNode {
  let i = 0;
  const at = (pos: number) => {
    const before = text.slice(0, pos).split('\n');
    return { line: before.length, column: before[before.length - 1].length + 1 };
  };
  const fail = (msg: string, pos = i): never => {
    const { line, column } = at(pos);
    throw new HoconSyntaxError(msg, line, column);
  };
  const skipSpace = (newlines: boolean) => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\ufeff' || (newlines && c === '\n')) i++;
      else if (c === '#' || (c === '/' && text[i + 1] === '/')) while (i < text.length && text[i] !== '\n') i++;
      else return;
    }
  };
  const quoted = (): string => {
    if (text.startsWith('"""', i)) {
      const end = text.indexOf('"""', i + 3);
      if (end < 0) fail('unterminated """ string');
      let stop = end + 3;
      while (text[stop] === '"') stop++;
      const s = text.slice(i + 3, stop - 3);
      i = stop;
      return s;
    }
    const start = i;
    i++;
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\n') fail('a quoted string may not span lines', start);
      if (text[i] === '\\') {
        const e = text[i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
        if (e === 'u') {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        if (!(e in map)) fail(`bad escape \\${e}`);
        out += map[e];
        i += 2;
        continue;
      }
      out += text[i++];
    }
    if (text[i] !== '"') fail('unterminated quoted string', start);
    i++;
    return out;
  };
  const keyPath = (): string[] => {
    const parts: string[] = [];
    let cur = '';
    let any = false;
    for (;;) {
      const c = text[i];
      if (c === '"') {
        cur += quoted();
        any = true;
      } else if (c === '.') {
        parts.push(cur);
        cur = '';
        any = false;
        i++;
      } else if (c === undefined || c === '\n' || ' \t'.includes(c) || UNQUOTED_STOP.includes(c) || (c === '/' && text[i + 1] === '/')) {
        // Whitespace inside a key (between words) belongs to it; before the separator it ends it.
        if (c === ' ' || c === '\t') {
          let j = i;
          while (text[j] === ' ' || text[j] === '\t') j++;
          if (text[j] !== undefined && !'=:{+\n'.includes(text[j]) && !UNQUOTED_STOP.includes(text[j]) && !(text[j] === '/' && text[j + 1] === '/')) {
            cur += text.slice(i, j);
            i = j;
            continue;
          }
        }
        break;
      } else {
        cur += c;
        any = true;
        i++;
      }
    }
    if (!any && cur === '') fail('expected a key');
    parts.push(cur);
    return parts;
  };
  const value = (): Value => {
    const start = i;
    const c = text[i];
    if (c === '{') return { kind: 'object', object: object(true), start, end: i };
    if (c === '[') {
      array();
      return { kind: 'array', start, end: i };
    }
    // A string: quoted, or unquoted text up to the end of the line (concatenation of parts).
    let textOut = '';
    let quotedOnly = true;
    let parts = 0;
    let end = i;
    for (;;) {
      const d = text[i];
      if (d === '"') {
        textOut += quoted();
        parts++;
        end = i;
      } else if (d === '$' && text[i + 1] === '{') {
        const close = text.indexOf('}', i);
        if (close < 0) fail('unterminated substitution');
        textOut += text.slice(i, close + 1);
        quotedOnly = false;
        parts++;
        i = close + 1;
        end = i;
      } else if (d !== undefined && d !== '\n' && d !== ',' && d !== '}' && d !== ']' && d !== '#' && !(d === '/' && text[i + 1] === '/') && d !== '{' && d !== '[') {
        if ((d === ' ' || d === '\t') && parts > 0) {
          textOut += d;
          i++;
          continue;
        }
        if ('`^?!@*&\\'.includes(d)) fail(`'${d}' is not allowed in an unquoted value (quote it)`);
        textOut += d;
        quotedOnly = false;
        parts++;
        i++;
        end = i;
      } else break;
    }
    if (parts === 0) fail('expected a value');
    i = end;
    return { kind: 'string', text: quotedOnly ? textOut : textOut.trim(), quoted: quotedOnly, start, end };
  };
  const array = () => {
    const open = i;
    i++;
    for (;;) {
      skipSpace(true);
      if (text[i] === ']') {
        i++;
        return;
      }
      if (i >= text.length) fail('unterminated array', open);
      value();
      skipSpace(false);
      if (text[i] === ',') i++;
    }
  };
  const object = (braced: boolean): ObjectNode => {
    const open = braced ? i : -1;
    if (braced) i++;
    const node: ObjectNode = { open, close: text.length, fields: [] };
    for (;;) {
      skipSpace(true);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (braced && text[i] === '}') {
        node.close = i;
        i++;
        return node;
      }
      if (i >= text.length) {
        if (braced) fail('unterminated object: a } is missing', open);
        node.close = text.length;
        return node;
      }
      if (!braced && text[i] === '}') fail('a } without its {');
      const start = i;
      if (text.startsWith('include', i) && /\s/.test(text[i + 7] ?? '')) {
        while (i < text.length && text[i] !== '\n') i++;
        continue;
      }
      const path = keyPath();
      skipSpace(false);
      if (text[i] === '=' || text[i] === ':') i++;
      else if (text[i] === '+' && text[i + 1] === '=') i += 2;
      else if (text[i] !== '{') fail(`expected '=', ':' or '{' after the key '${path.join('.')}'`);
      skipSpace(false);
      const v = value();
      node.fields.push({ path, start, end: v.end, value: v });
      skipSpace(false);
      if (text[i] !== undefined && text[i] !== '\n' && text[i] !== ',' && text[i] !== '}') fail(`unexpected '${text[i]}' after the value of '${path.join('.')}'`);
    }
  };
  skipSpace(true);
  const root = text[i] === '{' ? object(true) : object(false);
  skipSpace(true);
  if (i < text.length) fail(`unexpected '${text[i]}' after the end`);
  return root;
}
