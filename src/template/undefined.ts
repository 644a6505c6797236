/**
 * Which variable an expression uses while it is undefined, read from the
 * template's syntax tree: uses guarded by `default`, `is defined` and the
 * like, and untaken ternary branches, do not count. Shared by the renderer
 * (to name the variable in an error) and the static check before a run.
 */
import nunjucks from 'nunjucks';
import { isGlobal, pythonIndexes } from './nunjucks-env.ts';
import type { Lookup } from '../util/lookup.ts';

const CONSTANTS = new Set(['True', 'False', 'None', 'true', 'false', 'none', 'loop']);

type AstNode = { typename: string; fields?: string[]; value?: unknown; [k: string]: unknown };

/**
 * Finds a variable an expression uses while it is undefined, skipping what
 * `default`, `is defined` and the like guard, and untaken ternary branches.
 */
function findUndefined(node: AstNode | undefined, lookup: Lookup, bound: Set<string>): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const visit = (n: unknown) => findUndefined(n as AstNode, lookup, bound);
  switch (node.typename) {
    case 'Symbol': {
      const name = String(node.value);
      if (bound.has(name) || CONSTANTS.has(name) || isGlobal(name)) return undefined;
      return lookup(name) === undefined ? name : undefined;
    }
    case 'LookupVal': {
      const chain: string[] = [];
      let cur: AstNode | undefined = node;
      while (cur && cur.typename === 'LookupVal') {
        const val = cur.val as AstNode;
        if (val.typename !== 'Literal') return visit(cur.target) ?? visit(val);
        chain.unshift(String(val.value));
        cur = cur.target as AstNode;
      }
      if (!cur || cur.typename !== 'Symbol') return visit(cur);
      const base = String(cur.value);
      if (bound.has(base) || CONSTANTS.has(base)) return undefined;
      let value = lookup(base);
      if (value === undefined) return base;
      let name = base;
      for (const key of chain) {
        if (value === null || typeof value !== 'object') return undefined; // methods on strings etc.
        const next = (value as Record<string, unknown>)[key];
        name += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
        if (next === undefined) {
          if (Array.isArray(value) || key in Object.getPrototypeOf(value ?? {})) return undefined;
          return name;
        }
        value = next;
      }
      return undefined;
    }
    case 'Filter': {
      const fname = String((node.name as AstNode).value);
      const args = (node.args as AstNode).children as AstNode[];
      if (fname === 'default' || fname === 'd' || fname === 'mandatory') return args.slice(1).map(visit).find(Boolean);
      return args.map(visit).find(Boolean);
    }
    case 'Is': {
      const test = String((node.right as AstNode).value ?? ((node.right as AstNode).name as AstNode)?.value);
      if (['defined', 'undefined', 'none'].includes(test)) return undefined;
      const right = node.right as AstNode;
      const testArgs = right.typename === 'FunCall' ? (((right.args as AstNode).children as AstNode[]) ?? []) : [];
      return visit(node.left) ?? testArgs.map(visit).find(Boolean);
    }
    case 'KeywordArgs': {
      // `f(x, name=value)`: the names are the callee's parameters, only the values are used.
      return (((node.children as AstNode[]) ?? []).map((pair) => visit(pair.value)).find(Boolean));
    }
    case 'InlineIf': {
      return visit(node.cond);
    }
    case 'And':
    case 'Or': {
      const left = visit(node.left);
      if (left) return left;
      if (JSON.stringify(simplify(node.left as AstNode)).includes('"defined"')) return undefined;
      return visit(node.right);
    }
    case 'For': {
      const names = collectNames(node.name as AstNode);
      const inner = new Set([...bound, ...names, 'loop']);
      return visit(node.arr) ?? findUndefined(node.body as AstNode, lookup, inner);
    }
    case 'Set': {
      for (const t of (node.targets as AstNode[]) ?? []) bound.add(String(t.value));
      return visit(node.value);
    }
    case 'FunCall': {
      const args = (node.args as AstNode).children as AstNode[];
      if ((node.name as AstNode).typename === 'Symbol') return args.map(visit).find(Boolean);
      return visit(node.name) ?? args.map(visit).find(Boolean);
    }
    default: {
      for (const field of node.fields ?? []) {
        const child = node[field];
        if (Array.isArray(child)) {
          for (const c of child) {
            const found = visit(c);
            if (found) return found;
          }
        } else if (child && typeof child === 'object') {
          const found = visit(child);
          if (found) return found;
        }
      }
      return undefined;
    }
  }
}

function collectNames(n: AstNode): string[] {
  if (n.typename === 'Symbol') return [String(n.value)];
  return ((n.children as AstNode[]) ?? []).flatMap(collectNames);
}

function simplify(n: AstNode): unknown {
  if (!n || typeof n !== 'object') return n;
  const out: Record<string, unknown> = { t: n.typename, v: typeof n.value === 'object' ? undefined : n.value };
  for (const f of n.fields ?? []) {
    const c = n[f];
    out[f] = Array.isArray(c) ? c.map((x) => simplify(x as AstNode)) : simplify(c as AstNode);
  }
  return out;
}

export function undefinedIn(src: string, lookup: Lookup): string | undefined {
  try {
    const ast = (nunjucks as unknown as { parser: { parse(s: string, e?: unknown, o?: unknown): AstNode } }).parser.parse(pythonIndexes(src), [], { trimBlocks: true });
    return findUndefined(ast, lookup, new Set());
  } catch {
    return undefined;
  }
}

