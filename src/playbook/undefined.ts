/**
 * A static check, before anything runs: every variable a task's templates
 * use must be defined somewhere (inventory, group_vars/host_vars, play or
 * block or task vars, vars_files, register, set_fact, loop variables, facts,
 * -e). Uses guarded by `default` or `is defined` are allowed. A typo is
 * reported at its file:line:column with the closest known name.
 */
import { InputError, InputErrors } from '../errors.ts';
import type { Inventory, VarsDirs } from '../inventory/model.ts';
import { isTemplate, undefinedIn } from '../template/templar.ts';
import { suggest } from '../util/suggest.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { locate, parseYaml } from '../yaml/source.ts';
import type { Keywords, Node, Play, Playbook, TaskNode } from './types.ts';
import { expectsFailure } from './keywords.ts';

const MAGIC = [
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'play_hosts', 'omit',
  'playbook_dir', 'inventory_dir', 'inventory_file', 'item', 'ansible_loop_var', 'ansible_play_hosts',
  'ansible_play_batch', 'ansible_play_hosts_all', 'ansible_check_mode', 'ansible_diff_mode', 'ansible_facts',
  'ansible_version', 'ansible_play_name', 'ansible_search_path', 'lookup', 'query', 'q', 'range', 'dict', 'now', 'loop',
];

const ANY: unknown = new Proxy(function any() {}, {
  get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : ANY),
  has: () => true,
  apply: () => ANY,
});

/** In the known names: some variable can be anything (an include_vars whose file cannot be read before the run). */
const ANY_NAME = '\0any';

/** The names an include_vars task defines: its file's keys (or its `name`), when the file can be read now. */
function includedNames(n: TaskNode, pb: Playbook): string[] {
  if (typeof n.args.name === 'string') return [n.args.name];
  const file = String(n.args.file ?? n.args._raw_params ?? '').trim();
  if (!file || isTemplate(file)) return [ANY_NAME];
  const dirs = [...(n.roleDir ? [n.roleDir] : []), path.dirname(n.location.file), pb.dir];
  const found = path.isAbsolute(file) ? [file] : dirs.flatMap((d) => [path.join(d, 'vars', file), path.join(d, file)]);
  const hit = found.find((f) => existsSync(f));
  if (!hit) return [ANY_NAME];
  try {
    const data = parseYaml(readFileSync(hit, 'utf8'), hit);
    return data && typeof data === 'object' && !Array.isArray(data) ? Object.keys(data) : [];
  } catch {
    return [ANY_NAME];
  }
}

/** Every name a run could define, for this playbook and inventory. */
function knownNames(pb: Playbook, inv: Inventory, dirVars: VarsDirs, extra: Record<string, unknown>): Set<string> {
  const names = new Set<string>(MAGIC);
  for (const h of inv.hosts.keys()) for (const k of Object.keys(inv.hostVars(h, dirVars))) names.add(k);
  for (const g of inv.groups.values()) for (const k of Object.keys(g.vars)) names.add(k);
  for (const k of Object.keys(extra)) names.add(k);
  const walk = (nodes: Node[]) => {
    for (const n of nodes) {
      for (const k of [...Object.keys(n.vars ?? {}), ...Object.keys(n.defaults ?? {})]) names.add(k);
      if (n.kind === 'block') walk([...n.block, ...n.rescue, ...n.always]);
      else if (n.kind === 'include') {
        for (const v of [n.loopControl?.loopVar, n.loopControl?.indexVar]) if (v) names.add(isTemplate(v) ? ANY_NAME : v);
        walk(n.tasks);
      } else {
        if (n.register) names.add(n.register);
        // A templated name (`set_fact: "{{ name }}={{ value }}"`) is known only when it runs: any name may be it.
        if (n.module === 'set_fact') for (const k of Object.keys(n.args)) names.add(isTemplate(k) ? ANY_NAME : k);
        if (n.module === 'include_vars') for (const k of includedNames(n, pb)) names.add(k);
        if (n.module === 'getent') names.add(typeof n.args.database === 'string' && !isTemplate(n.args.database) ? `getent_${n.args.database}` : ANY_NAME);
        // A templated loop_var is known only when the loop starts: any name may be it.
        for (const v of [n.loopControl?.loopVar, n.loopControl?.indexVar]) if (v) names.add(isTemplate(v) ? ANY_NAME : v);
      }
    }
  };
  for (const play of pb.plays) {
    for (const k of [...Object.keys(play.vars), ...Object.keys(play.varsFilesVars)]) names.add(k);
    walk([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
  }
  return names;
}

let problems: InputError[] = [];

function checkValue(value: unknown, owner: unknown, key: string | number, known: Set<string>, asCondition = false): void {
  if (typeof value === 'string') {
    if (!asCondition && !isTemplate(value)) return;
    const src = asCondition && !/^\s*\{\{.*\}\}\s*$/s.test(value) ? `{{ ${value} }}` : value;
    const missing = undefinedIn(src, (n) => (known.has(n) || known.has(ANY_NAME) || n.startsWith('ansible_') ? ANY : undefined));
    if (missing) {
      const near = suggest(missing, [...known]);
      problems.push(new InputError(`'${missing}' is undefined: no inventory, play, task, register, set_fact or -e variable has that name`, {
        location: locate(owner, key),
        hint: near ? `did you mean '${near}'?` : `define it (e.g. in group_vars/all.yml or with -e ${missing}=...), or guard it with '| default(...)'`,
      }));
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, value, i, known, asCondition));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkValue(v, value, k, known, asCondition);
}


function checkNodes(nodes: Node[], known: Set<string>): void {
  for (const n of nodes) {
    if (expectsFailure(n.raw)) continue; // Ansible fails such tasks when they run; they may use what is undefined on purpose.
    const raw = n.kind === 'task' ? n.raw : undefined;
    checkConditions(n, known);
    if (n.kind === 'include') checkValue(n.raw, n.raw, '', known);
    if (n.kind === 'block') checkNodes(n.rescue.length > 0 ? [...n.rescue, ...n.always] : [...n.block, ...n.always], known);
    else if (n.kind === 'include') checkNodes(n.tasks, known);
    else if (raw) {
      for (const [k, v] of Object.entries(raw)) {
        if (['name', 'vars', 'when', 'changed_when', 'failed_when', 'until', 'register', 'notify', 'tags', 'loop_control'].includes(k)) continue;
        checkValue(v, raw, k, known);
      }
    }
  }
}

function checkConditions(n: Keywords & { raw: Record<string, unknown> }, known: Set<string>): void {
  for (const key of ['when', 'changed_when', 'failed_when', 'until'] as const) {
    if (n.raw[key] !== undefined) checkValue(n.raw[key], n.raw, key, known, true);
  }
}

/**
 * Required variables, declared the Ansible way: `assert` tasks at the start
 * of a play whose conditions say `NAME is defined`. Each such NAME must be
 * set for every host of the play by the inventory, the play or -e.
 */
export function requiredVariables(play: Play): { name: string; task: TaskNode; index: number }[] {
  const out: { name: string; task: TaskNode; index: number }[] = [];
  const leading = (nodes: Node[]): boolean => {
    for (const n of nodes) {
      if (n.kind === 'include' && n.isStatic && !n.when?.length) {
        if (!leading(n.tasks)) return false;
        continue;
      }
      if (n.kind !== 'task' || n.module !== 'assert' || n.when?.length) return false;
      const that = n.args.that;
      (Array.isArray(that) ? that : [that]).forEach((c, index) => {
        const m = typeof c === 'string' ? /^\s*([A-Za-z_]\w*)\s+is\s+defined\s*$/.exec(c) : null;
        if (m) out.push({ name: m[1], task: n, index });
      });
    }
    return true;
  };
  if (leading(play.preTasks)) leading(play.tasks);
  return out;
}

/** Required variables that are not set: one problem per assert condition, naming every host and play. */
function checkRequired(plays: Play[], hostsOf: (play: Play) => string[], inv: Inventory, dirVars: VarsDirs, extra: Record<string, unknown>): void {
  const found = new Map<string, { name: string; task: TaskNode; index: number; hosts: Set<string>; plays: string[] }>();
  for (const play of plays) {
    for (const { name, task, index } of requiredVariables(play)) {
      if (name in extra || name in play.vars || name in play.varsFilesVars) continue;
      const missing = hostsOf(play).filter((h) => !(name in (inv.hosts.has(h) ? inv.hostVars(h, dirVars) : {})));
      if (missing.length === 0) continue;
      const key = `${task.location.file}:${task.location.line}:${name}`;
      const entry = found.get(key) ?? { name, task, index, hosts: new Set<string>(), plays: [] };
      missing.forEach((h) => entry.hosts.add(h));
      entry.plays.push(play.name);
      found.set(key, entry);
    }
  }
  for (const { name, task, index, hosts, plays: names } of found.values()) {
    const that = (task.raw[task.module] as Record<string, unknown> | undefined)?.that;
    const all = [...hosts];
    const shown = all.length > 3 ? `${all.slice(0, 3).join(', ')} and ${all.length - 3} more` : all.join(', ');
    const failMsg = (task.args.fail_msg ?? task.args.msg) as string | undefined;
    problems.push(new InputError(`required variable '${name}' is not set for ${shown} (asserted by ${names.length === 1 ? `play '${names[0]}'` : `plays ${names.map((n) => `'${n}'`).join(', ')}`})`, {
      location: (Array.isArray(that) ? locate(that, index) : undefined) ?? task.location,
      hint: `${failMsg ? `${failMsg}: ` : ''}set it in the inventory (all: vars: ${name}: ...), in group_vars/, or with -e ${name}=...`,
    }));
  }
}

/**
 * Every variable a task uses must be defined somewhere, and every required
 * variable set for every host. Throws all problems at once, or adds them to
 * `collect`.
 */
export function checkUndefinedVariables(
  pb: Playbook,
  inv: Inventory,
  dirVars: VarsDirs,
  extra: Record<string, unknown>,
  opts: { collect?: InputError[]; hostsOf?: (play: Play) => string[] } = {},
): void {
  problems = [];
  const known = knownNames(pb, inv, dirVars, extra);
  for (const play of pb.plays as Play[]) checkNodes([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers], known);
  if (opts.hostsOf) checkRequired(pb.plays, opts.hostsOf, inv, dirVars, extra);
  const found = problems;
  problems = [];
  if (opts.collect) opts.collect.push(...found);
  else if (found.length) throw new InputErrors(found);
}
