/**
 * YAML loading that remembers where every mapping, sequence and value came
 * from, so that any later error can name `file:line:column`.
 *
 * YAML 1.1 as PyYAML reads it (what Ansible uses): `yes`/`no` are booleans,
 * `0644` is octal, `<<` merges. Duplicate keys and tabs are errors.
 */
import { readFileSync } from 'node:fs';
import {
  LineCounter, parseAllDocuments, isAlias, isMap, isScalar, isSeq,
  type Document, type Node, type ParsedNode,
} from 'yaml';
import { InputError, type Location } from '../errors.ts';
import { pyyamlTags } from './scalars.ts';

interface Where {
  self: Location;
  keys: Map<string | number, Location>;
  values: Map<string | number, Location>;
}

const registry = new WeakMap<object, Where>();

/** Location of `obj` itself, or of the value under `key` in it. */
export function locate(obj: unknown, key?: string | number): Location | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  const where = registry.get(obj);
  if (!where) return undefined;
  if (key === undefined) return where.self;
  return where.values.get(key) ?? where.keys.get(key) ?? where.self;
}

/** Location of the key `key` in the mapping `obj`. */
export function locateKey(obj: unknown, key: string): Location | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  const where = registry.get(obj);
  return where?.keys.get(key) ?? where?.self;
}

/** Walks a JSON-pointer-like path ("/tasks/0/lineinfile/path") to the nearest known location. */
export function locatePath(root: unknown, path: (string | number)[]): Location | undefined {
  let node: unknown = root;
  let best = locate(root);
  for (const part of path) {
    if (node === null || typeof node !== 'object') break;
    const here = locate(node, part);
    if (here) best = here;
    node = (node as Record<string | number, unknown>)[part];
    const own = locate(node);
    if (own) best = own;
  }
  return best;
}

function position(file: string, lc: LineCounter, offset: number): Location {
  const { line, col } = lc.linePos(offset);
  return { file, line, column: col };
}

/** Values that aliases may expand to in one file: more is a "billion laughs" document, not a playbook. */
export const MAX_ALIAS_EXPANSION = 100_000;

class Converter {
  private aliasDepth = 0;
  private expanded = 0;

  constructor(private file: string, private lc: LineCounter, private doc: Document) {}

  at(node: Node | null | undefined): Location {
    const offset = node?.range?.[0] ?? 0;
    return position(this.file, this.lc, offset);
  }

  convert(node: unknown, seen: Set<Node> = new Set(), alias?: Node): unknown {
    if (node === null || node === undefined) return null;
    if (this.aliasDepth > 0 && ++this.expanded > MAX_ALIAS_EXPANSION) {
      throw new InputError(`YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} values; this looks like an alias bomb ("billion laughs"), not a playbook`, {
        location: this.at(alias),
        hint: 'use fewer nested aliases (*name), or write the values out',
      });
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw new InputError(`unknown alias *${node.source}`, { location: this.at(node) });
      if (seen.has(target)) throw new InputError(`alias *${node.source} refers to itself`, { location: this.at(node) });
      seen.add(target);
      this.aliasDepth++;
      const value = this.convert(target, seen, alias ?? node);
      this.aliasDepth--;
      seen.delete(target);
      return value;
    }
    if (isScalar(node)) {
      const v = node.value;
      return v === undefined ? null : v;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      const where: Where = { self: this.at(node as Node), keys: new Map(), values: new Map() };
      node.items.forEach((item, i) => {
        where.values.set(i, this.at(item as Node));
        out.push(this.convert(item, seen, alias));
      });
      registry.set(out, where);
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const where: Where = { self: this.at(node as Node), keys: new Map(), values: new Map() };
      const merged: Record<string, unknown>[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const rawKey = isScalar(keyNode) ? keyNode.value : this.convert(keyNode, seen, alias);
        if (isScalar(keyNode) && keyNode.source === '<<' && (rawKey === '<<' || typeof rawKey === 'symbol')) {
          const src = this.convert(pair.value, seen, alias);
          for (const m of Array.isArray(src) ? src : [src]) {
            if (m && typeof m === 'object' && !Array.isArray(m)) merged.push(m as Record<string, unknown>);
            else throw new InputError('a merge key (<<) needs a mapping or a list of mappings', { location: this.at(pair.value as Node) });
          }
          continue;
        }
        const key = rawKey === null ? 'null' : typeof rawKey === 'object' ? JSON.stringify(rawKey) : String(rawKey);
        where.keys.set(key, this.at(keyNode));
        where.values.set(key, this.at((pair.value as Node | null) ?? keyNode));
        out[key] = this.convert(pair.value, seen, alias);
      }
      // Explicit keys win over merged ones; earlier merges win over later ones.
      for (const m of merged) {
        for (const [k, v] of Object.entries(m)) if (!(k in out)) out[k] = v;
      }
      registry.set(out, where);
      return out;
    }
    throw new InputError('unsupported YAML node', { location: this.at(node as Node) });
  }
}

function tabCheck(file: string, text: string): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^( *)\t/.exec(lines[i]);
    if (m) {
      throw new InputError('a tab is used for indentation; YAML allows only spaces', {
        location: { file, line: i + 1, column: m[1].length + 1 },
        hint: 'replace the tab with spaces',
      });
    }
  }
}

/** What to do about the YAML mistakes people make most (indentation). */
function yamlHint(msg: string): string | undefined {
  if (/block sequence may not be used as an implicit map key|sequence items must start at the same column/i.test(msg)) {
    return "this list item is not lined up with the items above it: the '-' of every item of one list stands in the same column";
  }
  if (/mapping items must start at the same column|bad indentation/i.test(msg)) {
    return 'the keys of one mapping start in the same column: indent this line like the key above it, or two spaces deeper to put it under that key';
  }
  if (/nested mappings are not allowed in compact mappings/i.test(msg)) {
    return "a value that contains ': ' must be quoted (msg: \"a: b\"), or written as a mapping on the lines below";
  }
  if (/implicit keys need to be on a single line|implicit map keys need to be followed by map values/i.test(msg)) {
    return "a key needs ': ' after it; a value that goes on over several lines needs '|' or '>' (or quotes)";
  }
  return undefined;
}

/** Parses YAML text (one document) with locations. An empty document is `null`. */
export function parseYaml(text: string, file: string): unknown {
  // A UTF-8 byte order mark (some Windows editors write one) is not content.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  tabCheck(file, text);
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, lineCounter: lc, prettyErrors: false, merge: true, intAsBigInt: false, customTags: pyyamlTags as never });
  if (!Array.isArray(docs)) return null; // an empty stream
  if (docs.length > 1) {
    throw new InputError(`${docs.length} YAML documents in one file; a playbook, inventory or vars file holds one`, {
      location: position(file, lc, docs[1].range[0]),
    });
  }
  const doc = docs[0];
  if (!doc) return null;
  const problem = doc.errors[0];
  if (problem) {
    let offset = problem.pos[0];
    // The parser may point at the blank line or spaces before the mistake: show the mistake.
    while (offset < text.length - 1 && /\s/.test(text[offset])) offset++;
    let msg = problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    if (problem.code === 'DUPLICATE_KEY') {
      const key = /^[^:\n]*/.exec(text.slice(offset))?.[0].trim() ?? '';
      msg = `duplicate key '${key}' in a mapping; each key may appear once`;
    }
    throw new InputError(`YAML: ${msg}`, { location: position(file, lc, offset), hint: yamlHint(msg) });
  }
  return new Converter(file, lc, doc as Document).convert(doc.contents as ParsedNode | null);
}

/** Reads and parses a YAML file with locations. */
export async function loadYamlFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(e as Error).message}`);
  }
  return parseYaml(text, file);
}
