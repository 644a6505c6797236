import type { ModuleDef } from '../modules/types.ts';
/** The loaded, validated shape of a playbook: plays holding task trees. */
import type { InputError, Location } from '../errors.ts';

/** Keywords a task, block or include may carry; children inherit some of them. */
export interface Keywords {
  when?: unknown[];
  tags?: string[];
  become?: boolean;
  becomeUser?: string;
  /** The user to log in as (a template), below the host's ansible_user as under Ansible. */
  remoteUser?: string;
  vars?: Record<string, unknown>;
  ignoreErrors?: boolean | string;
  ignoreUnreachable?: boolean | string;
  /** Variables for the environment of the commands a task runs (merged from play to task, inner wins). */
  environment?: Record<string, unknown> | string;
  noLog?: boolean | string;
  checkMode?: boolean | string;
  diff?: boolean | string;
  delegateTo?: string;
  runOnce?: boolean | string;
  anyErrorsFatal?: boolean | string;
  /** A role's defaults (defaults/main.yml): below every other variable, the inventory's included. */
  defaults?: Record<string, unknown>;
  /** Variables that differ by host (the loop variable of a looped include_tasks), above `vars`. Set by the engine. */
  hostVars?: Map<string, Record<string, unknown>>;
}

export interface TaskNode extends Keywords {
  kind: 'task';
  /** The role the task comes from: its folder is searched first for files/ and templates/. */
  roleDir?: string;
  name?: string;
  /** A templated module name (`action: "{{ ansible_pkg_mgr }}"`): finds the module it renders to, when the task runs. */
  resolveModule?: (name: string) => ModuleDef<any> | undefined;
  /** Why a module name is refused, with what to use instead (for resolveModule's misses). */
  refusedModule?: (name: string) => string | undefined;
  /** Canonical module name, e.g. `lineinfile`. */
  module: string;
  /** The module itself, resolved once by the loader. */
  mod: ModuleDef<any>;
  args: Record<string, unknown>;
  loop?: unknown;
  /** `loop` (the list as it is) or `with_<lookup>` (the items that lookup makes of the terms: with_items flattens one level). */
  loopKind?: string;
  /** `async: N` and `poll: M` (command and shell). */
  async?: number | string;
  poll?: number | string;
  /** Bad arguments of a task under ignore_errors: it fails with this message when it runs. */
  argsError?: string;
  loopControl?: LoopControl;
  register?: string;
  notify?: string[];
  listen?: string[];
  changedWhen?: unknown[];
  failedWhen?: unknown[];
  /** until/retries/delay: run again until the conditions hold (retries default 3, delay 5 s, as Ansible). */
  until?: { conditions: unknown[]; retries?: number | string; delay?: number | string };
  location: Location;
  /** Where the module's arguments start (for argument errors). */
  argsLocation?: Location;
  /** The raw task mapping (for locating errors in it). */
  raw: Record<string, unknown>;
}

export interface BlockNode extends Keywords {
  kind: 'block';
  raw: Record<string, unknown>;
  name?: string;
  block: Node[];
  rescue: Node[];
  always: Node[];
  location: Location;
}

/** import_tasks / include_tasks, loaded when the playbook is. */
export interface LoopControl {
  label?: string;
  loopVar?: string;
  indexVar?: string;
  pause?: number | string;
  extended?: boolean | string;
  extendedAllitems?: boolean | string;
}

export interface IncludeNode extends Keywords {
  kind: 'include';
  /** include_tasks with loop or with_<lookup>: the file's tasks run once per item, with the loop variable set. */
  loop?: unknown;
  loopKind?: string;
  loopControl?: LoopControl;
  raw: Record<string, unknown>;
  name?: string;
  file: string;
  /** import_tasks passes its tags to the tasks it brings in; include_tasks does not. */
  isStatic: boolean;
  tasks: Node[];
  location: Location;
}

export type Node = TaskNode | BlockNode | IncludeNode;

export interface Play {
  name: string;
  hosts: string;
  hostsLocation?: Location;
  vars: Record<string, unknown>;
  varsFiles: string[];
  /** Variables read from vars_files (above play vars). */
  varsFilesVars: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  remoteUser?: string;
  /** check_mode and diff on the play: the default of its tasks (the command line's otherwise). */
  checkMode?: boolean | string;
  diff?: boolean | string;
  /** As written (a boolean or a template): resolved by the engine. */
  gatherFacts: boolean | string;
  /** Batch sizes (numbers or percentages), as `serial` lists them. */
  serial?: (number | string)[];
  maxFailPercentage?: number;
  anyErrorsFatal?: boolean | string;
  environment?: Record<string, unknown> | string;
  tags: string[];
  preTasks: Node[];
  tasks: Node[];
  postTasks: Node[];
  handlers: TaskNode[];
  location: Location;
  /** Folder of the playbook file (playbook_dir). */
  dir: string;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
  /** Tasks whose module jitsi-fleet lacks, under a `when` or in a file include_tasks loads: they fail the host if they run. */
  unavailable?: InputError[];
}
