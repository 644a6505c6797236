/**
 * What a module is: an argument schema and a planner. A planner reads what it
 * needs from the host (through read-only HostFiles and read-only probes) and returns a Plan:
 * "nothing to do, because ..." or a list of changes. The engine's applier
 * carries changes out, and never in check mode.
 */
import type { Become, ExecResult, FileInfo } from '../connection/types.ts';
import type { Lookup } from '../util/lookup.ts';
import type { FileDiff } from '../events/events.ts';

export type { FileDiff };

/** The state of a file a plan was made from (its bytes' sha256, or absent). */
export type WriteBase = { state: 'absent' } | { state: 'file'; sha256: string };

export type Change =
  | {
      kind: 'write';
      path: string;
      content: Buffer;
      /**
       * What the plan was made from: the write happens only while the file
       * still is that (another run may have changed it since it was read).
       */
      base?: WriteBase;
      /** Write through a symlink to its target, keeping the link (lineinfile, blockinfile). */
      follow?: boolean;
      mode?: string;
      owner?: string;
      group?: string;
      backup?: boolean;
      validate?: string;
      makeParents?: boolean;
    }
  /** chmod/chown only, content unchanged. */
  | { kind: 'attributes'; path: string; mode?: string; owner?: string; group?: string }
  /** Run a command; its outcome goes to the plan's `finish`. */
  | { kind: 'exec'; command: string; stdin?: string; cwd?: string };


export interface Plan {
  changes: Change[];
  /** Why nothing needs doing, or what the changes do. Tests check it. */
  msg: string;
  /** Extra values the task returns (registered with it). */
  result?: Record<string, unknown>;
  diff?: FileDiff[];
  failed?: boolean;
  /** The task does nothing in this mode (command in check mode); msg says why. */
  skipped?: boolean;
  /** Turns the outcomes of `exec` changes into the task's result. */
  finish?(outcomes: ExecResult[]): { failed?: boolean; changed?: boolean; msg?: string; result?: Record<string, unknown>; diff?: FileDiff[] };
  /** Values that must never be shown (the engine redacts them everywhere). */
  secrets?: string[];
  /**
   * The task cannot be planned because something is not there yet (a file,
   * a program, a service); `failed` and `msg` say so. In check mode, when an
   * earlier task of the run did something whose effect cannot be known (a
   * package install), the engine reports "would <action>" instead.
   */
  pending?: { missing: string; action: string };
  /** Set by the engine: a change predicted in check mode (see `pending`), with nothing to stage. */
  predicted?: boolean;
  /**
   * The module has already done its work while planning (an Ansible action plugin, which drives the host
   * itself): nothing to apply; `changed` is what it did.
   */
  ran?: { changed: boolean };
}

/** A host's files as modules see them: read only (the engine's applier writes). */
export interface HostFiles {
  /** The file's state and bytes, read once per run and reused. */
  get(path: string, become?: Become): Promise<FileInfo>;
  /** Reads several paths in one round trip, for the get()s that follow. */
  prefetch?(paths: string[], become?: Become): Promise<void>;
}

export interface ModuleContext {
  host: string;
  check: boolean;
  diff: boolean;
  become?: Become;
  files: HostFiles;
  /** Runs a command that only reads (safe in check mode). */
  probe(command: string, stdin?: string): Promise<ExecResult>;
  /**
   * The host's connection itself, for Ansible's action plugins only (they drive the host command by command,
   * and do their own check mode); every other module plans through files and probes.
   */
  remote?: import('../connection/types.ts').Connection;
  /** The task's `environment` as a shell prefix (`export K='v'; `), for modules that send their own commands. */
  environment?: string;
  vars: Lookup;
  /** Folder to resolve relative `src` against (the playbook's or the task file's). */
  searchDirs: string[];
  /**
   * Renders a template's text with the task's variables; `dir` (the template's folder) is searched
   * first by its includes; `opts` are the template module's Jinja options (Ansible's names).
   */
  renderTemplate(text: string, dir?: string, opts?: { trim_blocks?: boolean; lstrip_blocks?: boolean; newline_sequence?: string }): string;
}

export interface ModuleDef<A = Record<string, unknown>> {
  name: string;
  /** JSON Schema of the arguments (after aliases are resolved). */
  schema: Record<string, unknown>;
  /** Other names of arguments: `dest` → `path`. */
  argAliases?: Record<string, string>;
  /** For command/shell: the words that are options, the rest is the command. */
  freeForm?: string[];
  /** Runs on the controller without touching the host (set_fact, debug, assert, fail). */
  controller?: boolean;
  /** Runs once per task, for the first host, as if run_once were set (Ansible's add_host bypasses the host loop). */
  once?: boolean;
  /** Drives the host itself while planning, through ctx.remote (an Ansible action plugin): `async` is refused for it. */
  drivesHost?: boolean;
  /** Paths the module will read, so the engine can prefetch them in one round trip. */
  reads?(args: A): string[];
  /**
   * Arguments that are paths on the host (Ansible's `type: path`): `~` and `$NAME` in them are
   * expanded there, as the user the module runs as, before the module plans.
   */
  hostPaths?: (keyof A & string)[] | ((args: A) => (keyof A & string)[]);
  plan(args: A, ctx: ModuleContext): Promise<Plan>;
}

export type { FileInfo };

/** What a module name can be: a short name or a collection's (namespace.collection.name). */
export const MODULE_NAME = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*){0,2}$/;

/**
 * What the loader may know of modules, handed to it by the CLI: the
 * supported modules (by every name they go by) and, for Ansible modules we
 * refuse, what to use instead. The one place that lists both.
 */
export interface ModuleCatalog {
  find(name: string): ModuleDef<any> | undefined;
  /** Every name a supported module answers to (short, ansible.builtin., collections). */
  names(): string[];
  /** A module we know and refuse: why, and what to use instead. */
  refused(name: string): { message: string; hint: string } | undefined;
  /**
   * A module of the project's own in Python (`file`, a library/<name>.py; `utils`, its module_utils
   * folders), or why it cannot run here.
   */
  project?(name: string, file: string, utils: string[]): ModuleDef<any> | { problem: string };
  /** An action plugin of the project's own (action_plugins/<name>.py, found in `dirs.actions`), or why it cannot run here. */
  projectAction?(name: string, dirs: { library: string[]; actions: string[]; utils: string[] }): ModuleDef<any> | { problem: string };
  /**
   * A module jitsi-fleet lacks that ansible-core on this machine has (a builtin, an installed collection's),
   * run through ansible-core's packer; or why it cannot run; undefined when there is none (or no ansible-core).
   */
  ansible?(name: string): ModuleDef<any> | { problem: string; hint?: string } | undefined;
  /** Looks up, ahead and together, names `ansible` may be asked about (one ansible-core start for many). */
  prefetch?(names: string[]): Promise<void>;
}
