/** The play and task keywords we support, and Ansible's that we refuse by name. */
import { lookupNames } from '../template/lookups.ts';

/** `with_<lookup>` loops: one per lookup plugin we have (`with_items`, `with_dict`, `with_sequence`, ...). */
export const WITH_KEYS = lookupNames().map((n) => `with_${n}`);

export const PLAY_KEYS = [
  'name', 'hosts', 'vars', 'vars_files', 'become', 'become_user', 'gather_facts', 'serial',
  'max_fail_percentage', 'any_errors_fatal', 'remote_user', 'check_mode', 'diff', 'pre_tasks', 'roles', 'tasks', 'post_tasks', 'handlers', 'tags', 'environment',
];

export const TASK_KEYS = [
  'name', 'when', 'loop', ...WITH_KEYS, 'loop_control', 'register', 'notify', 'changed_when', 'failed_when',
  'ignore_errors', 'ignore_unreachable', 'tags', 'become', 'become_user', 'delegate_to', 'run_once', 'no_log', 'check_mode', 'diff',
  'vars', 'args', 'until', 'retries', 'delay', 'async', 'poll', 'environment', 'remote_user',
];

export const BLOCK_KEYS = [
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'become', 'become_user', 'vars', 'ignore_errors', 'ignore_unreachable', 'no_log',
  'check_mode', 'diff', 'delegate_to', 'run_once', 'any_errors_fatal', 'environment', 'remote_user', 'notify',
];

export const INCLUDE_KEYS = ['name', 'when', 'tags', 'vars', 'become', 'become_user', 'ignore_errors', 'no_log', 'check_mode', 'diff', 'delegate_to', 'run_once', 'environment', 'remote_user'];

export const INCLUDE_ACTIONS = ['import_tasks', 'include_tasks', 'ansible.builtin.import_tasks', 'ansible.builtin.include_tasks'];

export const ROLE_ACTIONS = ['import_role', 'include_role', 'ansible.builtin.import_role', 'ansible.builtin.include_role'];

/** Ansible keywords that exist but that jitsi-fleet does not support (yet): refused, never ignored. */
export const UNSUPPORTED_KEYS: Record<string, string> = {
  strategy: 'only the linear strategy is supported',
  throttle: 'throttle is not supported; use --forks',
  local_action: "local_action is not supported; use delegate_to: localhost",
  connection: 'set the connection with ansible_connection in the inventory',
  collections: 'collections are not supported; write modules by their full or short name',
  module_defaults: 'module_defaults are not supported',
  vars_prompt: 'vars_prompt is not supported; pass values with -e',
  order: 'host order is not supported; hosts run in inventory order',
  become_method: 'only sudo is supported for become',
  become_flags: 'become_flags are not supported',
  debugger: 'the task debugger is not supported',
  import_playbook: 'import_playbook goes at the top level of a playbook (a list of plays), not among tasks',
  include: "'include' was removed from Ansible; use import_tasks or include_tasks",
  listen: "'listen' belongs on handlers, not tasks",
  facts_modules: 'facts modules are not selectable',
  gather_subset: 'gather_subset is not supported; jitsi-fleet gathers a small fixed set of facts',
  gather_timeout: 'gather_timeout is not supported',
  force_handlers: 'force_handlers is not supported',
  timeout: 'task timeouts are not supported',
  check_mode_markers: '',
};

export function unsupportedWith(key: string): string | undefined {
  if (key.startsWith('with_') && !WITH_KEYS.includes(key)) return `${key} is not supported; use loop, or one of ${WITH_KEYS.join(', ')}`;
  return UNSUPPORTED_KEYS[key] || undefined;
}

/** A task or block whose failure the play expects (ignore_errors set and not false): its problems wait until it runs, as under Ansible. */
export function expectsFailure(raw: Record<string, unknown>): boolean {
  return raw.ignore_errors !== undefined && raw.ignore_errors !== false && raw.ignore_errors !== 'false';
}
