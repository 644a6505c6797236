/**
 * Setting or removing one value in HOCON text, every other byte kept: the
 * last definition of a key (the one that wins) is changed in place; a
 * missing key goes into the deepest object that already holds part of its
 * path, indented like its neighbours.
 */
import { parseHocon, type Field, type ObjectNode } from './syntax.ts';

/** A value to write: its HOCON text, and how to compare it with what is there. */
export interface HoconValue {
  text: string;
  kind: 'string' | 'number' | 'boolean';
  /** The value as HOCON reads it back (a string unquoted). */
  plain: string;
}

export function hoconValue(v: unknown, type: 'auto' | 'string' | 'number' | 'boolean' = 'auto'): HoconValue {
  const kind = type === 'auto' ? (typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? 'number' : 'string') : type;
  if (kind === 'boolean') {
    const b = typeof v === 'boolean' ? v : /^(true|yes|on|1)$/i.test(String(v));
    return { text: String(b), kind, plain: String(b) };
  }
  if (kind === 'number') {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`'${v}' is not a number`);
    return { text: String(n), kind, plain: String(n) };
  }
  // Quoted always: an unquoted @ makes the file unreadable, an unquoted # starts a comment.
  return { text: JSON.stringify(String(v)), kind, plain: String(v) };
}

interface Placed {
  field: Field;
  /** Absolute path of the field's key. */
  path: string[];
}

interface PlacedObject {
  object: ObjectNode;
  path: string[];
}

function walk(obj: ObjectNode, prefix: string[], fields: Placed[], objects: PlacedObject[]): void {
  objects.push({ object: obj, path: prefix });
  for (const f of obj.fields) {
    const path = [...prefix, ...f.path];
    fields.push({ field: f, path });
    if (f.value.kind === 'object') walk(f.value.object, path, fields, objects);
  }
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const startsWith = (a: string[], prefix: string[]) => prefix.length <= a.length && prefix.every((x, i) => x === a[i]);

/** A key segment as HOCON needs it written. */
export function keyText(path: string[]): string {
  return path.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(p))).join('.');
}

/** The value that wins for `path`, as text (strings unquoted), or undefined. */
export function getValue(text: string, path: string[]): { text: string; quoted: boolean } | undefined {
  const fields: Placed[] = [];
  walk(parseHocon(text), [], fields, []);
  const hit = fields.filter((f) => same(f.path, path)).pop();
  if (!hit || hit.field.value.kind !== 'string') return undefined;
  return { text: hit.field.value.text, quoted: hit.field.value.quoted };
}

/** Every scalar value of the file by its full key path (the last one written wins), e.g. to read a config. */
export function leafValues(text: string): Map<string, { path: string[]; text: string; quoted: boolean }> {
  const fields: Placed[] = [];
  walk(parseHocon(text), [], fields, []);
  const out = new Map<string, { path: string[]; text: string; quoted: boolean }>();
  for (const f of fields) {
    if (f.field.value.kind === 'string') out.set(f.path.join('\0'), { path: f.path, text: f.field.value.text, quoted: f.field.value.quoted });
  }
  return out;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function indentAt(text: string, pos: number): string {
  return /^[ \t]*/.exec(text.slice(lineStart(text, pos)))![0];
}

/** `text` with `path` set to `value`; unchanged text when it already holds that value. */
export function setValue(text: string, path: string[], value: HoconValue): string {
  const fields: Placed[] = [];
  const objects: PlacedObject[] = [];
  walk(parseHocon(text), [], fields, objects);
  const hit = fields.filter((f) => same(f.path, path)).pop();
  if (hit) {
    const v = hit.field.value;
    if (v.kind === 'string' && v.text === value.plain && (value.kind === 'string' || !v.quoted)) return text;
    return text.slice(0, v.start) + value.text + text.slice(v.end);
  }
  // The deepest object already on the path (the last one when a path is opened twice).
  let best = objects[0];
  for (const o of objects) if (startsWith(path, o.path) && o.path.length >= best.path.length) best = o;
  const rest = path.slice(best.path.length);
  const line = `${keyText(rest)} = ${value.text}`;
  const { object } = best;
  if (object.open < 0) {
    // The root without braces: a line at the end.
    const body = text.length && !text.endsWith('\n') ? text + '\n' : text;
    const indent = object.fields.length ? indentAt(text, object.fields[object.fields.length - 1].start) : '';
    return `${body}${indent}${line}\n`;
  }
  const last = object.fields[object.fields.length - 1];
  const closeLine = lineStart(text, object.close);
  const closeAlone = text.slice(closeLine, object.close).trim() === '';
  const ownLine = last && lineStart(text, last.start) !== lineStart(text, object.open);
  const indent = ownLine ? indentAt(text, last.start) : indentAt(text, object.open) + '    ';
  if (closeAlone && (last === undefined || lineStart(text, last.start) < closeLine)) {
    return text.slice(0, closeLine) + `${indent}${line}\n` + text.slice(closeLine);
  }
  // `a { b = 1 }` on one line, or `a {}`: open it up.
  const before = text.slice(0, object.close).replace(/[ \t]*$/, '');
  return `${before}\n${indent}${line}\n${indentAt(text, object.open)}${text.slice(object.close)}`;
}

/** `text` without any definition of `path`; whole lines go when the field stood alone on them. */
export function removeValue(text: string, path: string[]): string {
  const fields: Placed[] = [];
  walk(parseHocon(text), [], fields, []);
  const hits = fields.filter((f) => same(f.path, path)).sort((a, b) => b.field.start - a.field.start);
  let out = text;
  for (const { field } of hits) {
    const ls = lineStart(out, field.start);
    const le = out.indexOf('\n', field.end);
    const tail = out.slice(field.end, le < 0 ? out.length : le);
    const alone = out.slice(ls, field.start).trim() === '' && /^\s*(,\s*)?(#.*|\/\/.*)?$/.test(tail);
    out = alone ? out.slice(0, ls) + out.slice(le < 0 ? out.length : le + 1) : out.slice(0, field.start) + out.slice(field.end).replace(/^\s*,/, '');
  }
  return out;
}
