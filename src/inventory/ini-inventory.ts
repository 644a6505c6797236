/** Ansible's INI inventory format: `[group]`, `[group:vars]`, `[group:children]`. */
import { InputError } from '../errors.ts';
import type { Inventory } from './model.ts';
import { literalEval } from './pyliteral.ts';
import { expandHostPattern } from './ranges.ts';
import { shlexSplit } from '../util/shlex.ts';

/** Splits a host line the way Python's shlex does (quotes, `#` comments). */
function splitHostLine(line: string, where: () => { file: string; line: number; column: number }): string[] {
  try {
    return shlexSplit(line, { comments: true });
  } catch (e) {
    throw new InputError((e as Error).message, { location: where() });
  }
}

export function parseIniInventory(inv: Inventory, text: string, file: string): void {
  const lines = text.split(/\r?\n/);
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  const pending = new Map<string, { line: number; state: string; parents: string[] }>();
  const declared = new Set<string>(['all', 'ungrouped']);

  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const line = raw.trim();
    const column = raw.length - raw.trimStart().length + 1;
    const where = () => ({ file, line: lineNo, column });
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const section = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/.exec(line);
    if (section) {
      group = section[1];
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        throw new InputError(`section [${section[1]}:${kind}] has unknown type '${kind}'; use :vars or :children`, { location: where() });
      }
      state = kind;
      if (!inv.groups.has(group) && kind === 'vars' && !pending.has(group)) pending.set(group, { line: lineNo, state: 'vars', parents: [] });
      inv.addGroup(group, where());
      if (kind !== 'vars') {
        declared.add(group);
        pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[')) {
      throw new InputError(`invalid section header '${line}'; it must be [name], [name:vars] or [name:children] without spaces`, { location: where() });
    }
    if (state === 'hosts') {
      const tokens = splitHostLine(line, where);
      const { names, port } = expandHostPattern(tokens[0], where());
      const vars: Record<string, unknown> = {};
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq <= 0) throw new InputError(`expected key=value after the host name, got '${t}'`, { location: where() });
        vars[t.slice(0, eq)] = literalEval(t.slice(eq + 1));
      }
      for (const n of names) {
        const h = inv.addHost(n, group, where());
        if (port !== undefined) h.vars.ansible_port = port;
        Object.assign(h.vars, vars);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new InputError(`expected key=value in [${group}:vars], got '${line}'`, { location: where() });
      inv.addGroup(group).vars[line.slice(0, eq).trim()] = literalEval(line.slice(eq + 1).trim());
    } else {
      const child = line.split(/\s+/)[0];
      if (!/^[^:\s\[\]]+$/.test(child)) throw new InputError(`expected a group name in [${group}:children], got '${line}'`, { location: where() });
      if (!declared.has(child) && !inv.groups.has(child)) {
        const p = pending.get(child) ?? { line: lineNo, state: 'children', parents: [] };
        p.parents.push(group);
        pending.set(child, p);
      }
      inv.addChild(group, child);
    }
  });

  for (const [name, p] of pending) {
    if (p.state === 'vars') {
      throw new InputError(`section [${name}:vars] is for a group that is never declared`, {
        location: { file, line: p.line, column: 1 },
        hint: `add a [${name}] or [${name}:children] section, or fix the name`,
      });
    }
    throw new InputError(`section [${p.parents[0]}:children] names group '${name}', which is never declared`, {
      location: { file, line: p.line, column: 1 },
      hint: `add a [${name}] section with its hosts`,
    });
  }
}
