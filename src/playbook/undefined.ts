/**
 * A static check, before anything runs: every variable a task's templates
 * use must be defined somewhere (inventory, group_vars/host_vars, play or
 * block or task vars, vars_files, register, set_fact, loop variables, facts,
 * -e). Uses guarded by `default` or `is defined` are allowed. A typo is
 * reported at its file:line:column with the closest known name.
 */
import { InputError } from '../errors.ts';
import type { Inventory, VarsDirs } from '../inventory/model.ts';
import { isTemplate, undefinedIn } from '../template/templar.ts';
import { suggest } from '../util/suggest.ts';
import { locate } from '../yaml/source.ts';
import type { Keywords, Node, Play, Playbook } from './types.ts';

const MAGIC = [
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'play_hosts', 'omit',
  'playbook_dir', 'inventory_dir', 'inventory_file', 'item', 'ansible_loop_var', 'ansible_play_hosts',
  'ansible_play_batch', 'ansible_play_hosts_all', 'ansible_check_mode', 'ansible_diff_mode', 'ansible_facts',
  'ansible_version', 'ansible_play_name', 'lookup', 'range', 'dict', 'loop',
];

const ANY: unknown = new Proxy(function any() {}, {
  get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : ANY),
  has: () => true,
  apply: () => ANY,
});

/** Every name a run could define, for this playbook and inventory. */
function knownNames(pb: Playbook, inv: Inventory, dirVars: VarsDirs, extra: Record<string, unknown>): Set<string> {
  const names = new Set<string>(MAGIC);
  for (const h of inv.hosts.keys()) for (const k of Object.keys(inv.hostVars(h, dirVars))) names.add(k);
  for (const g of inv.groups.values()) for (const k of Object.keys(g.vars)) names.add(k);
  for (const k of Object.keys(extra)) names.add(k);
  const walk = (nodes: Node[]) => {
    for (const n of nodes) {
      for (const k of Object.keys(n.vars ?? {})) names.add(k);
      if (n.kind === 'block') walk([...n.block, ...n.rescue, ...n.always]);
      else if (n.kind === 'include') walk(n.tasks);
      else {
        if (n.register) names.add(n.register);
        if (n.module === 'set_fact') for (const k of Object.keys(n.args)) names.add(k);
        if (n.loopControl?.loopVar) names.add(n.loopControl.loopVar);
        if (n.loopControl?.indexVar) names.add(n.loopControl.indexVar);
      }
    }
  };
  for (const play of pb.plays) {
    for (const k of [...Object.keys(play.vars), ...Object.keys(play.varsFilesVars)]) names.add(k);
    walk([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
  }
  return names;
}

function checkValue(value: unknown, owner: unknown, key: string | number, known: Set<string>, asCondition = false): void {
  if (typeof value === 'string') {
    if (!asCondition && !isTemplate(value)) return;
    const src = asCondition && !/^\s*\{\{.*\}\}\s*$/s.test(value) ? `{{ ${value} }}` : value;
    const missing = undefinedIn(src, (n) => (known.has(n) || n.startsWith('ansible_') ? ANY : undefined));
    if (missing) {
      const near = suggest(missing, [...known]);
      throw new InputError(`'${missing}' is undefined: no inventory, play, task, register, set_fact or -e variable has that name`, {
        location: locate(owner, key),
        hint: near ? `did you mean '${near}'?` : `define it (e.g. in group_vars/all.yml or with -e ${missing}=...), or guard it with '| default(...)'`,
      });
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, value, i, known, asCondition));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkValue(v, value, k, known, asCondition);
}

function checkNodes(nodes: Node[], known: Set<string>): void {
  for (const n of nodes) {
    const raw = n.kind === 'task' ? n.raw : undefined;
    checkConditions(n, known);
    if (n.kind === 'include') checkValue(n.raw, n.raw, '', known);
    if (n.kind === 'block') checkNodes([...n.block, ...n.rescue, ...n.always], known);
    else if (n.kind === 'include') checkNodes(n.tasks, known);
    else if (raw) {
      for (const [k, v] of Object.entries(raw)) {
        if (['name', 'vars', 'when', 'changed_when', 'failed_when', 'register', 'notify', 'tags', 'loop_control'].includes(k)) continue;
        checkValue(v, raw, k, known);
      }
    }
  }
}

function checkConditions(n: Keywords & { raw: Record<string, unknown> }, known: Set<string>): void {
  for (const key of ['when', 'changed_when', 'failed_when'] as const) {
    if (n.raw[key] !== undefined) checkValue(n.raw[key], n.raw, key, known, true);
  }
}

export function checkUndefinedVariables(pb: Playbook, inv: Inventory, dirVars: VarsDirs, extra: Record<string, unknown>): void {
  const known = knownNames(pb, inv, dirVars, extra);
  for (const play of pb.plays as Play[]) checkNodes([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers], known);
}
