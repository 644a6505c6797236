/**
 * Loads a playbook: plays, their task trees with imports/includes resolved,
 * every keyword and module argument checked, every template's syntax checked.
 * Anything we do not support is refused here, before any host is touched.
 */
import { accessSync, existsSync } from 'node:fs';
import path from 'node:path';
import { InputError, InputErrors, isBug, type Location } from '../errors.ts';
import { isTemplate } from '../template/templar.ts';
import { check } from '../yaml/schema-check.ts';
import { ioTurn } from '../util/io-turn.ts';
import { suggest } from '../util/suggest.ts';
import { loadYamlFile, locate } from '../yaml/source.ts';
import { checkArgs, normalizeArgs } from './args.ts';
import { checkConditions, checkNotify, checkTemplates, isMapping, moduleArgNames, rejectUnknownKeys, where, type Raw } from './checks.ts';
import { BLOCK_KEYS, INCLUDE_ACTIONS, INCLUDE_KEYS, PLAY_KEYS, ROLE_ACTIONS, TASK_KEYS, unsupportedWith, WITH_KEYS, expectsFailure } from './keywords.ts';
import { parseKv } from '../util/kv.ts';
import { playSchema, taskSchema } from './schema.ts';
import type { BlockNode, IncludeNode, Keywords, LoopControl, Node, Play, Playbook, TaskNode } from './types.ts';
import { MODULE_NAME, type ModuleCatalog, type ModuleDef } from '../modules/types.ts';


function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  return String(v).split(',').map((s) => s.trim()).filter(Boolean);
}

function asConditions(v: unknown): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v : [v];
}

function keywordsOf(raw: Raw): Keywords {
  return {
    when: asConditions(raw.when),
    tags: raw.tags === undefined ? undefined : asList(raw.tags),
    become: raw.become as boolean | undefined,
    becomeUser: raw.become_user as string | undefined,
    remoteUser: raw.remote_user === undefined || raw.remote_user === null ? undefined : String(raw.remote_user),
    vars: (raw.vars as Raw | undefined) ?? undefined,
    ignoreErrors: raw.ignore_errors as boolean | string | undefined,
    ignoreUnreachable: raw.ignore_unreachable as boolean | string | undefined,
    environment: raw.environment as Record<string, unknown> | string | undefined,
    noLog: raw.no_log as boolean | string | undefined,
    checkMode: raw.check_mode as boolean | string | undefined,
    diff: raw.diff as boolean | string | undefined,
    delegateTo: raw.delegate_to as string | undefined,
    runOnce: raw.run_once as boolean | string | undefined,
    anyErrorsFatal: raw.any_errors_fatal as boolean | string | undefined,
  };
}

/** A task's or include_tasks' loop: `loop` or one `with_<lookup>`, and its loop_control. */
function loopOf(raw: Raw, file: string): { loop?: unknown; loopKind?: string; loopControl?: LoopControl } {
  const loopKeys = Object.keys(raw).filter((k) => k === 'loop' || WITH_KEYS.includes(k));
  if (loopKeys.length > 1) throw new InputError(`a task takes one loop; this one has ${loopKeys.join(' and ')}`, { location: where(raw, file, loopKeys[1]) });
  const loopKey = loopKeys[0];
  const lc = raw.loop_control as Raw | undefined;
  if (lc && !loopKey) throw new InputError('loop_control needs a loop', { location: where(raw, file, 'loop_control') });
  return {
    loop: loopKey ? raw[loopKey] : undefined,
    loopKind: loopKey,
    loopControl: lc
      ? {
          label: lc.label as string | undefined,
          loopVar: lc.loop_var as string | undefined,
          indexVar: lc.index_var as string | undefined,
          pause: lc.pause as number | string | undefined,
          extended: lc.extended as boolean | string | undefined,
          extendedAllitems: lc.extended_allitems as boolean | string | undefined,
        }
      : undefined,
  };
}

/** The task's module is one jitsi-fleet does not have (unknown, or refused with an alternative). */
class ModuleUnavailable extends InputError {}

class Loader {
  /** Problems found so far: loading goes on past a bad task or play, so that all are reported at once. */
  readonly problems: InputError[] = [];
  /**
   * Tasks whose module jitsi-fleet lacks, in a file include_tasks loads or
   * under a `when`: as under Ansible, they fail the host only if they run
   * (on the OS family they are written for, say); `validate` names them.
   */
  readonly deferred: InputError[] = [];
  /** Inside a dynamic include (include_tasks): its file is read when the include runs, under Ansible. */
  private dynamic = 0;
  /** Inside a block, import or role that has a `when` (the condition goes to every task in it). */
  private guarded = 0;

  /** Loads what is under `raw` (a block, an import, a role entry), counting its `when`. */
  private async under<T>(raw: Raw, load: () => Promise<T>): Promise<T> {
    const when = raw.when !== undefined;
    if (when) this.guarded++;
    try {
      return await load();
    } finally {
      if (when) this.guarded--;
    }
  }

  constructor(private readonly playbookDir: string, private readonly catalog: ModuleCatalog) {}

  /** The folders a task file's project plugins are looked for in: its role (the folder above its `tasks/`), its own folder, the playbook's. */
  private pluginRoots(file: string): string[] {
    const dir = path.dirname(file);
    return [...new Set([path.basename(dir) === 'tasks' ? path.dirname(dir) : undefined, dir, this.playbookDir].filter((d): d is string => d !== undefined))];
  }

  /**
   * A module or action plugin of the project's own, in Python, that Ansible would run for
   * `name`: `library/` or `action_plugins/` of the task file's role, of the task file's folder,
   * or beside the playbook.
   */
  private pythonPlugin(name: string, file: string, subs = ['library', 'action_plugins']): string | undefined {
    for (const root of this.pluginRoots(file)) for (const sub of subs) {
      const candidate = path.join(root, sub, `${name}.py`);
      if (existsSync(candidate)) return candidate;
    }
    return undefined;
  }

  private readonly projectModules = new Map<string, ModuleDef | undefined>();

  /**
   * A project's Python module (`library/<name>.py`), run through ansible-core's packer (modules/python-module.ts),
   * or its action plugin (`action_plugins/<name>.py`, which Ansible runs first when both are there; it may run the
   * module), run inside ansible-core with the run's connection, for a name jitsi-fleet has no module of. Refused
   * before the run when no Python here imports ansible-core.
   */
  private projectModule(name: string, file: string, location: Location): ModuleDef | undefined {
    if (!/^[A-Za-z_]\w*$/.test(name)) return undefined;
    const key = `${path.dirname(file)}\0${name}`;
    if (this.projectModules.has(key)) return this.projectModules.get(key);
    const action = this.pythonPlugin(name, file, ['action_plugins']);
    const found = action ?? this.pythonPlugin(name, file, ['library']);
    let mod: ModuleDef | undefined;
    if (found) {
      const roots = this.pluginRoots(file);
      const dirs = (sub: string) => roots.map((r) => path.join(r, sub)).filter((d) => existsSync(d));
      const utils = dirs('module_utils');
      const made = action
        ? (this.catalog.projectAction?.(name, { library: dirs('library'), actions: dirs('action_plugins'), utils }) ?? { problem: 'this catalog runs no action plugins' })
        : (this.catalog.project?.(name, found, utils) ?? { problem: 'this catalog runs no Python modules' });
      if ('problem' in made) {
        throw new ModuleUnavailable(`module '${name}' is Python code of this project (${path.relative(process.cwd(), found) || found}), and ${made.problem}`, {
          location,
          hint: 'install ansible-core on this machine (apt install ansible-core, or pip), or name a Python that has it with JITSI_FLEET_ANSIBLE_PYTHON',
        });
      }
      mod = made;
    }
    this.projectModules.set(key, mod);
    return mod;
  }

  /**
   * A module jitsi-fleet lacks that ansible-core here has (its builtins, installed collections): run through
   * its packer. One with an action plugin is refused, in the catalog's words where it has some.
   */
  private ansibleModule(name: string, location: Location): ModuleDef | undefined {
    const made = this.catalog.ansible?.(name);
    if (!made || !('problem' in made)) return made;
    throw new ModuleUnavailable(made.problem, { location, hint: made.hint ?? this.catalog.refused(name)?.hint ?? 'write the task with command/shell, or run this playbook with ansible-playbook' });
  }

  /**
   * The names in these tasks (blocks' too) that are neither keywords nor modules jitsi-fleet or the project has, looked up in
   * ansible-core together, before the tasks are read one by one.
   */
  private async prefetchModules(list: unknown[], file: string): Promise<void> {
    if (!this.catalog.prefetch) return;
    const names: string[] = [];
    const walk = (items: unknown): void => {
      if (!Array.isArray(items)) return;
      for (const t of items) {
        if (!isMapping(t)) continue;
        for (const k of ['block', 'rescue', 'always']) walk(t[k]);
        for (const k of Object.keys(t)) {
          if (TASK_KEYS.includes(k) || BLOCK_KEYS.includes(k) || NOT_MODULES.has(k) || !MODULE_NAME.test(k) || this.catalog.find(k)) continue;
          // The project's own (library/, action_plugins/) is run as it is: nothing to ask ansible-core.
          if (!k.includes('.') && this.pythonPlugin(k, file)) continue;
          names.push(k);
        }
      }
    };
    walk(list);
    if (names.length) await this.catalog.prefetch(names);
  }

  /** Runs one part of the load; an input problem is recorded and the part left out. */
  async attempt<T>(fn: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof InputErrors) this.problems.push(...e.problems);
      else if (e instanceof InputError) this.problems.push(e);
      else throw e;
      return undefined;
    }
  }

  async taskList(list: unknown, owner: Raw, key: string, file: string, stack: string[], handlers = false): Promise<Node[]> {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new InputError(`'${key}' must be a list of tasks`, { location: where(owner, file, key) });
    const out: Node[] = [];
    await this.prefetchModules(list, file);
    for (const item of list) {
      if (!isMapping(item)) {
        throw new InputError(`each entry of '${key}' must be a task (a mapping); found ${JSON.stringify(item)}`, { location: locate(list, list.indexOf(item)) ?? where(owner, file, key) });
      }
      await ioTurn();
      const node = await this.attempt(() => this.node(item, file, stack, handlers));
      if (node) out.push(node);
    }
    return out;
  }

  async node(raw: Raw, file: string, stack: string[], handler: boolean): Promise<Node> {
    const location = where(raw, file);
    if ('block' in raw) {
      if (handler) throw new InputError('blocks are not supported in handlers', { location });
      rejectUnknownKeys(raw, BLOCK_KEYS, 'block', file);
      check(taskSchema, raw, 'block');
      checkConditions(asConditions(raw.when), raw, 'when');
      checkTemplates({ ...raw, block: undefined, rescue: undefined, always: undefined }, raw, undefined, file);
      const block: BlockNode = {
        kind: 'block',
        name: raw.name as string | undefined,
        block: await this.under(raw, () => this.taskList(raw.block, raw, 'block', file, stack)),
        rescue: await this.under(raw, () => this.taskList(raw.rescue, raw, 'rescue', file, stack)),
        always: await this.under(raw, () => this.taskList(raw.always, raw, 'always', file, stack)),
        location,
        raw,
        ...keywordsOf(raw),
      };
      // notify on a block: each task in it that changes notifies these handlers, unless it names its own (Ansible's inheritance).
      if (raw.notify !== undefined && raw.notify !== null) inheritNotify([...block.block, ...block.rescue, ...block.always], asList(raw.notify).map(String));
      return block;
    }
    const include = Object.keys(raw).find((k) => INCLUDE_ACTIONS.includes(k));
    if (include) return this.under(raw, () => this.include(raw, include, file, stack, location));
    const roleAction = Object.keys(raw).find((k) => ROLE_ACTIONS.includes(k));
    if (roleAction) {
      if (handler) throw new InputError(`${roleAction} is not supported in handlers`, { location });
      // include_role may loop (its tasks run once per item, as include_tasks'); import_role may not.
      const looping = roleAction.endsWith('include_role') ? ['loop', 'loop_control', ...WITH_KEYS] : [];
      rejectUnknownKeys(raw, [roleAction, ...INCLUDE_KEYS, ...looping], roleAction.replace('ansible.builtin.', ''), file);
      check(taskSchema, { ...raw, [roleAction]: undefined }, roleAction);
      checkConditions(asConditions(raw.when), raw, 'when');
      const spec = raw[roleAction];
      if (!isMapping(spec) || typeof spec.name !== 'string') throw new InputError(`${roleAction} needs the role's name (name: ...)`, { location: where(raw, file, roleAction) });
      const known = ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public', 'allow_duplicates', 'apply', 'rolespec_validate'];
      const extra = Object.keys(spec).find((k) => !known.includes(k));
      if (extra) throw new InputError(`unsupported argument '${extra}' for ${roleAction}`, { location: where(spec, file, extra), hint: `supported: ${known.slice(0, 5).join(', ')}` });
      if (spec.apply !== undefined) throw new InputError(`${roleAction}: apply is not supported; set the keywords on the tasks of the role`, { location: where(spec, file, 'apply') });
      // include_role is dynamic, as Ansible's: decided per host when it is reached (its when and tags are
      // the include's, not its tasks'), and a module jitsi-fleet lacks in the role fails only if it runs.
      const dynamicRole = roleAction.endsWith('include_role');
      if (dynamicRole) this.dynamic++;
      let node;
      try {
        node = await this.under(raw, () => this.role(spec.name as string, { tasksFrom: spec.tasks_from as string | undefined, varsFrom: spec.vars_from as string | undefined, defaultsFrom: spec.defaults_from as string | undefined, handlersFrom: spec.handlers_from as string | undefined }, {}, raw, file, stack, location));
      } finally {
        if (dynamicRole) this.dynamic--;
      }
      const loop = loopOf(raw, file);
      return { ...node, ...keywordsOf(raw), ...loop, ...(dynamicRole ? { isStatic: false } : {}), vars: { ...(node.vars ?? {}), ...((raw.vars as Raw | undefined) ?? {}) }, defaults: node.defaults, name: raw.name as string | undefined };
    }
    try {
      return this.task(raw, file, location, handler);
    } catch (e) {
      if (!(e instanceof ModuleUnavailable) || (this.dynamic === 0 && this.guarded === 0 && raw.when === undefined)) throw e;
      this.deferred.push(e);
      return this.failsWhenRun(raw, file, location, e);
    }
  }

  /** A task that fails with `why` when it runs (its module is one jitsi-fleet lacks). */
  private failsWhenRun(raw: Raw, file: string, location: Location, why: InputError): TaskNode {
    const at = why.location ?? location;
    const msg = `${why.message} (${path.relative(process.cwd(), at.file ?? file) || file}:${at.line}:${at.column})${why.hint ? `; ${why.hint}` : ''}`;
    const mod = this.catalog.find('fail')!;
    return { kind: 'task', name: raw.name as string | undefined, module: mod.name, mod, args: { msg }, location, argsLocation: location, argsError: msg, raw, ...keywordsOf(raw) };
  }

  async include(raw: Raw, action: string, file: string, stack: string[], location: Location): Promise<IncludeNode> {
    const loopKey = Object.keys(raw).find((k) => k === 'loop' || WITH_KEYS.includes(k));
    if (loopKey && action.endsWith('import_tasks')) {
      throw new InputError("import_tasks cannot loop (its tasks are read before the run); use include_tasks", { location: where(raw, file, loopKey) });
    }
    rejectUnknownKeys(raw, [action, ...INCLUDE_KEYS, ...(action.endsWith('include_tasks') ? ['loop', 'loop_control', ...WITH_KEYS] : [])], action.replace('ansible.builtin.', ''), file);
    const loop = loopOf(raw, file);
    check(taskSchema, { ...raw, [action]: undefined }, action);
    let target = raw[action];
    if (isMapping(target)) target = target.file;
    // The old k=v form: include_tasks: file=other.yml
    else if (typeof target === 'string' && /^\s*file=/.test(target)) target = parseKv(target, false, []).file;
    if (typeof target !== 'string' || target === '') {
      throw new InputError(`${action} needs a file name`, { location: where(raw, file, action) });
    }
    if (isTemplate(target)) {
      throw new InputError(`${action} with a templated file name is not supported; name the file`, { location: where(raw, file, action) });
    }
    const base = path.dirname(file);
    const candidates = [path.resolve(base, target), path.resolve(this.playbookDir, target), path.resolve(base, 'tasks', target)];
    let resolved: string | undefined;
    for (const c of candidates) {
      try {
        accessSync(c);
        resolved = c;
        break;
      } catch {
        /* try the next */
      }
    }
    if (!resolved) {
      throw new InputError(`${action}: file not found: ${target} (looked in ${[...new Set(candidates.map(path.dirname))].join(', ')})`, {
        location: where(raw, file, action),
      });
    }
    if (stack.includes(resolved)) {
      throw new InputError(`include cycle: ${[...stack.slice(stack.indexOf(resolved)), resolved].map((p) => path.relative(process.cwd(), p)).join(' -> ')}`, {
        location: where(raw, file, action),
      });
    }
    checkConditions(asConditions(raw.when), raw, 'when');
    const data = await loadYamlFile(resolved);
    const isStatic = action.endsWith('import_tasks');
    if (!isStatic) this.dynamic++;
    let tasks: Node[];
    try {
      tasks = data === null ? [] : await this.taskList(data, { tasks: data }, 'tasks', resolved, [...stack, resolved]);
    } finally {
      if (!isStatic) this.dynamic--;
    }
    if (data !== null && !Array.isArray(data)) throw new InputError('a task file must be a list of tasks', { location: locate(data) ?? { file: resolved, line: 1, column: 1 } });
    return {
      kind: 'include',
      name: raw.name as string | undefined,
      file: resolved,
      isStatic,
      ...(loop.loop !== undefined ? loop : {}),
      tasks,
      location,
      raw,
      ...keywordsOf(raw),
    };
  }

  /** Handlers the roles of the play being loaded brought in (added to the play's). */
  roleHandlers: TaskNode[] = [];
  /** Roles already in the play being loaded (a role runs once per play unless its parameters differ). */
  private rolesSeen = new Set<string>();

  /** Where a role is: roles/ beside the playbook or the including file, the playbook's folder, ANSIBLE_ROLES_PATH, ~/.ansible/roles, /etc/ansible/roles. */
  private roleDirs = new Map<string, Promise<{ dir: string; looked: string[] }>>();
  private findRole(name: string, file: string): Promise<{ dir: string; looked: string[] }> {
    // Searched once per name and folder (roleOnce and role both ask).
    const key = `${name}\0${path.dirname(file)}`;
    let found = this.roleDirs.get(key);
    if (!found) this.roleDirs.set(key, (found = this.searchRole(name, file)));
    return found;
  }

  private async searchRole(name: string, file: string): Promise<{ dir: string; looked: string[] }> {
    const home = process.env.HOME ?? '';
    const bases = [
      path.join(this.playbookDir, 'roles'),
      path.join(path.dirname(file), 'roles'),
      ...(process.env.ANSIBLE_ROLES_PATH ?? '').split(':').filter(Boolean),
      path.join(home, '.ansible', 'roles'),
      '/usr/share/ansible/roles',
      '/etc/ansible/roles',
      this.playbookDir,
    ];
    const candidates = path.isAbsolute(name) ? [name] : bases.map((b) => path.resolve(b, name));
    for (const c of candidates) {
      try {
        accessSync(c);
        return { dir: c, looked: candidates };
      } catch {
        /* try the next */
      }
    }
    return { dir: '', looked: candidates };
  }

  /** A YAML file of a role (tasks/main.yml or .yaml), or undefined when it has none. */
  private async roleFile(dir: string, sub: string, base = 'main'): Promise<string | undefined> {
    for (const ext of ['', '.yml', '.yaml']) {
      const f = path.join(dir, sub, base + ext);
      if (ext === '' && !/\.ya?ml$/.test(base)) continue;
      try {
        accessSync(f);
        return f;
      } catch {
        /* next */
      }
    }
    return undefined;
  }

  /**
   * A role, loaded statically (roles:, import_role, include_role): its meta
   * dependencies first, then its tasks, with its vars (and the parameters given)
   * as variables of those tasks and its defaults below everything; its
   * handlers join the play's. Returned as an import of its task file.
   */
  async role(name: string, from: { tasksFrom?: string; varsFrom?: string; defaultsFrom?: string; handlersFrom?: string }, params: Raw, owner: Raw, file: string, stack: string[], location: Location): Promise<IncludeNode> {
    if (isTemplate(name)) throw new InputError('a role with a templated name is not supported; name the role', { location });
    const { dir, looked } = await this.findRole(name, file);
    if (!dir) throw new InputError(`the role '${name}' was not found`, { location, hint: `looked in ${[...new Set(looked.map(path.dirname))].join(', ')}` });
    if (stack.includes(dir)) throw new InputError(`role dependency cycle: ${[...stack.filter((s) => s.includes('/roles/') || s === dir), dir].map((p) => path.basename(p)).join(' -> ')}`, { location });
    const mapping = async (f: string | undefined): Promise<Raw> => {
      if (!f) return {};
      const data = await loadYamlFile(f);
      if (data !== null && !isMapping(data)) throw new InputError('a role vars or defaults file must be a mapping', { location: locate(data) ?? { file: f, line: 1, column: 1 } });
      return (data as Raw | null) ?? {};
    };
    const defaults = await mapping(await this.roleFile(dir, 'defaults', from.defaultsFrom ?? 'main'));
    const vars = await mapping(await this.roleFile(dir, 'vars', from.varsFrom ?? 'main'));
    const deps: Node[] = [];
    const metaFile = await this.roleFile(dir, 'meta');
    if (metaFile) {
      const meta = (await loadYamlFile(metaFile)) as Raw | null;
      const list = meta && Array.isArray(meta.dependencies) ? meta.dependencies : [];
      for (const d of list) {
        const depName = typeof d === 'string' ? d : isMapping(d) ? ((d.role ?? d.name) as string | undefined) : undefined;
        if (!depName) throw new InputError('a role dependency needs a name (role: ...)', { location: locate(d) ?? { file: metaFile, line: 1, column: 1 } });
        const depParams: Raw = isMapping(d) ? Object.fromEntries(Object.entries(d).filter(([k]) => !['role', 'name', 'when', 'tags', 'vars'].includes(k))) : {};
        if (isMapping(d) && isMapping(d.vars)) Object.assign(depParams, d.vars);
        const dep = await this.roleOnce(depName, {}, depParams, isMapping(d) ? d : {}, metaFile, [...stack, dir], locate(d) ?? { file: metaFile, line: 1, column: 1 });
        if (dep) deps.push(dep);
      }
    }
    const tasksFile = await this.roleFile(dir, 'tasks', from.tasksFrom ?? 'main');
    if (from.tasksFrom && !tasksFile) throw new InputError(`the role '${name}' has no tasks/${from.tasksFrom}`, { location });
    const data = tasksFile ? await loadYamlFile(tasksFile) : null;
    if (data !== null && !Array.isArray(data)) throw new InputError('a task file must be a list of tasks', { location: locate(data) ?? { file: tasksFile!, line: 1, column: 1 } });
    const tasks = data === null ? [] : await this.taskList(data, { tasks: data }, 'tasks', tasksFile!, [...stack, dir]);
    markRole(tasks, dir);
    const handlersFile = await this.roleFile(dir, 'handlers', from.handlersFrom ?? 'main');
    if (handlersFile) {
      const hdata = await loadYamlFile(handlersFile);
      const handlers = flattenHandlers(await this.taskList(hdata, { handlers: hdata }, 'handlers', handlersFile, [...stack, dir], true));
      markRole(handlers, dir);
      const roleVars = { ...vars, ...params, role_path: dir, role_name: path.basename(dir) };
      this.roleHandlers.push(...handlers.map((h) => ({ ...h, vars: { ...roleVars, ...(h.vars ?? {}) }, defaults: { ...defaults, ...(h.defaults ?? {}) } })));
    }
    const depsNode: Node[] = deps;
    return {
      kind: 'include',
      name: `role ${path.basename(dir)}`,
      file: tasksFile ?? dir,
      isStatic: true,
      tasks: [...depsNode, ...tasks],
      location,
      raw: owner,
      ...keywordsOf(owner),
      vars: { ...vars, ...params, role_path: dir, role_name: path.basename(dir) },
      defaults,
    };
  }

  /** A role of `roles:` or a dependency: once per play for the same parameters. */
  async roleOnce(name: string, from: Parameters<Loader['role']>[1], params: Raw, owner: Raw, file: string, stack: string[], location: Location): Promise<IncludeNode | undefined> {
    const { dir } = await this.findRole(name, file);
    const key = `${dir}\0${JSON.stringify(params)}`;
    if (dir && this.rolesSeen.has(key)) return undefined;
    const node = await this.role(name, from, params, owner, file, stack, location);
    this.rolesSeen.add(key);
    return node;
  }

  task(raw: Raw, file: string, location: Location, handler: boolean): TaskNode {
    const allowed = handler ? [...TASK_KEYS, 'listen'] : TASK_KEYS;
    // A module jitsi-fleet has, else the project's own (library/). ansible-playbook would prefer the project's;
    // a project ships one under a name of ours for ansible-playbook's sake (playbooks/library/hocon.py).
    const find = (name: string) => this.catalog.find(name) ?? this.projectModule(name, file, where(raw, file, name)) ?? (suggest(name, allowed) ? undefined : this.ansibleModule(name, where(raw, file, name)));
    // `action: module args` (or `action: { module: name, ...args }`): the old way of naming the module.
    let actionModule: string | undefined;
    let actionArgs: unknown;
    /** A templated module name: the module is known per host when the task runs. */
    let dynamic: string | undefined;
    if (raw.action !== undefined) {
      const a = raw.action;
      if (typeof a === 'string') {
        // The module's name may be a template (`action: "{{ ansible_pkg_mgr }}"`): up to its closing braces.
        const m = /^\s*(\{\{[\s\S]*?\}\}\S*|\S+)\s*([\s\S]*)$/.exec(a);
        actionModule = m?.[1];
        actionArgs = m?.[2] ? m[2] : null;
      } else if (isMapping(a) && typeof a.module === 'string') {
        const { module, ...rest } = a as Raw;
        actionModule = module as string;
        actionArgs = rest;
      }
      if (actionModule && isTemplate(actionModule)) dynamic = actionModule;
      else if (!actionModule || !find(actionModule)) {
        const refused = actionModule ? this.catalog.refused(actionModule) : undefined;
        throw new ModuleUnavailable(refused?.message ?? `action names no module jitsi-fleet has${actionModule ? `: '${actionModule}'` : ''}`, { location: where(raw, file, 'action'), hint: refused?.hint });
      }
    }
    const candidates = Object.keys(raw).filter((k) => !allowed.includes(k) && k !== 'action');
    const modules = candidates.filter((k) => find(k));
    if (modules.length > 1) {
      throw new InputError(`a task can run only one module; this one names ${modules.join(' and ')}`, { location: where(raw, file, modules[1]) });
    }
    let moduleKey = modules[0];
    if (actionModule && moduleKey) throw new InputError(`a task can run only one module; this one names ${moduleKey} and action: ${actionModule}`, { location: where(raw, file, 'action') });
    for (const key of candidates) {
      if (key === moduleKey) continue;
      const why = unsupportedWith(key);
      if (why) throw new InputError(`'${key}' is not supported: ${why}`, { location: where(raw, file, key) });
      const refused = this.catalog.refused(key);
      if (refused) throw new ModuleUnavailable(refused.message, { location: where(raw, file, key), hint: refused.hint });
      const nearKeyword = suggest(key, allowed);
      const nearModule = suggest(key, this.catalog.names());
      if (moduleKey && (raw[moduleKey] === null || raw[moduleKey] === undefined) && moduleArgNames(find(moduleKey)!).includes(key)) {
        throw new InputError(`unknown keyword '${key}' in a task`, {
          location: where(raw, file, key),
          hint: `'${key}' is an argument of ${moduleKey}, which has none: indent it (and the arguments after it) two spaces deeper than '${moduleKey}:'`,
        });
      }
      if (moduleKey || nearKeyword) {
        throw new InputError(`unknown keyword '${key}' in a task`, {
          location: where(raw, file, key),
          hint: nearKeyword ? `did you mean '${nearKeyword}'?` : nearModule ? `did you mean the module '${nearModule}'?` : undefined,
        });
      }
      throw new ModuleUnavailable(`unknown module '${key}'`, {
        location: where(raw, file, key),
        hint: nearModule ? `did you mean '${nearModule}'?` : `supported modules: ${[...new Set(this.catalog.names().filter((n) => !n.includes('.')))].join(', ')}`,
      });
    }
    if (!moduleKey && !actionModule) {
      throw new InputError('this task names no module (e.g. lineinfile:, copy:, command:)', { location });
    }
    if (actionModule) moduleKey = 'action';
    // A module named by a template is found when the task runs, as a named one is now: a project's library/
    // or ansible-core's too; why one cannot run is kept for the message.
    const refusedWhy = new Map<string, string>();
    const dynamicFind = (name: string): ModuleDef | undefined => {
      try {
        return find(name);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        refusedWhy.set(name, e.message);
        return undefined;
      }
    };
    const mod = dynamic ? dynamicModule(dynamic) : find(actionModule ?? moduleKey!)!;
    if (mod.drivesHost && raw.async !== undefined && raw.async !== null) {
      throw new InputError(`'async' is not supported with ${mod.name}: an action plugin runs while the task waits`, { location: where(raw, file, 'async'), hint: 'leave async out, or run the work with command/shell' });
    }
    check(taskSchema, { ...raw, [moduleKey!]: undefined }, 'task');
    let args: Raw;
    const rawArgs = actionModule ? actionArgs : raw[moduleKey!];
    if (rawArgs === null || rawArgs === undefined) args = {};
    else if (typeof rawArgs === 'string') {
      try {
        args = parseKv(rawArgs, Boolean(mod.freeForm), mod.freeForm ?? []);
      } catch (e) {
        if (isBug(e)) throw e;
        throw new InputError(`the arguments of ${moduleKey} leave a quote or a {{ }} / {% %} block open (Ansible's split_args refuses them too)`, { location: where(raw, file, moduleKey), hint: 'close it, or write the arguments as a YAML mapping' });
      }
    }
    else if (isMapping(rawArgs)) args = { ...rawArgs };
    else throw new InputError(`the arguments of ${moduleKey} must be a mapping or a 'key=value' string`, { location: where(raw, file, moduleKey) });
    if (isMapping(raw.args)) args = { ...(raw.args as Raw), ...args };
    const normalized = normalizeArgs(mod, args);
    const argsRoot = isMapping(rawArgs) ? rawArgs : raw;
    let argsError: string | undefined;
    try {
      checkArgs(mod, normalized, { templated: false, root: argsRoot, location: where(raw, file, moduleKey) });
      checkTemplates(raw, undefined, undefined, file);
      checkConditions(asConditions(raw.when), raw, 'when');
      checkConditions(asConditions(raw.changed_when), raw, 'changed_when');
      checkConditions(asConditions(raw.failed_when), raw, 'failed_when');
      checkConditions(asConditions(raw.until), raw, 'until');
    } catch (e) {
      // A task whose failure the play expects (ignore_errors) fails when it runs, as under Ansible, instead of stopping the whole playbook.
      if (!(e instanceof InputError) || !expectsFailure(raw)) throw e;
      argsError = e.message;
    }
    if ((raw.retries !== undefined || raw.delay !== undefined) && raw.until === undefined) {
      throw new InputError('retries and delay need until: the condition that ends the retries', { location: where(raw, file, raw.retries !== undefined ? 'retries' : 'delay'), hint: 'until: result is succeeded' });
    }
    if ((raw.async !== undefined || raw.poll !== undefined) && !['command', 'shell'].includes(mod.name)) {
      throw new InputError(`async is supported for command and shell only, not ${mod.name}`, { location: where(raw, file, raw.async !== undefined ? 'async' : 'poll') });
    }
    if (raw.poll !== undefined && raw.async === undefined) throw new InputError('poll needs async', { location: where(raw, file, 'poll') });
    const loop = loopOf(raw, file);
    return {
      kind: 'task',
      name: raw.name as string | undefined,
      module: mod.name,
      mod,
      ...(dynamic ? { resolveModule: (name: string) => dynamicFind(name), refusedModule: (name: string) => refusedWhy.get(name) ?? this.catalog.refused(name)?.message } : {}),
      args: normalized,
      ...loop,
      register: raw.register as string | undefined,
      notify: raw.notify === undefined ? undefined : Array.isArray(raw.notify) ? raw.notify.map(String) : [String(raw.notify)],
      listen: raw.listen === undefined ? undefined : Array.isArray(raw.listen) ? raw.listen.map(String) : [String(raw.listen)],
      changedWhen: asConditions(raw.changed_when),
      failedWhen: asConditions(raw.failed_when),
      until: raw.until === undefined ? undefined : { conditions: asConditions(raw.until)!, retries: raw.retries as number | string | undefined, delay: raw.delay as number | string | undefined },
      location,
      argsLocation: where(raw, file, moduleKey),
      ...(argsError ? { argsError } : {}),
      ...(raw.async !== undefined ? { async: raw.async as number | string, poll: raw.poll as number | string | undefined } : {}),
      raw,
      ...keywordsOf(raw),
    };
  }

  async play(raw: unknown, index: number, file: string): Promise<Play> {
    if (!isMapping(raw)) {
      throw new InputError(`play ${index + 1} must be a mapping with hosts and tasks`, { location: locate(raw) ?? { file, line: 1, column: 1 } });
    }
    // Play-level problems are recorded; the play's tasks are still checked.
    await this.attempt(() => rejectUnknownKeys(raw, PLAY_KEYS, 'play', file));
    await this.attempt(() => check(playSchema, raw, `play ${index + 1}`));
    await this.attempt(() => checkTemplates({ name: raw.name, hosts: raw.hosts, vars: raw.vars }, undefined, undefined, file));
    const varsFiles = asList(raw.vars_files);
    const vars: Raw = {};
    for (const vf of varsFiles) {
      if (isTemplate(vf)) throw new InputError('vars_files with templated names are not supported', { location: where(raw, file, 'vars_files') });
      const full = path.resolve(path.dirname(file), vf);
      const data = await loadYamlFile(full);
      if (data !== null && !isMapping(data)) throw new InputError('a vars file must be a mapping', { location: locate(data) ?? { file: full, line: 1, column: 1 } });
      Object.assign(vars, data ?? {});
    }
    this.roleHandlers = [];
    this.rolesSeen = new Set();
    const roleNodes: Node[] = [];
    for (const [i, entry] of (Array.isArray(raw.roles) ? raw.roles : []).entries()) {
      const node = await this.attempt(async () => {
        const at = locate(raw.roles, i) ?? where(raw, file, 'roles');
        const name = typeof entry === 'string' ? entry : isMapping(entry) ? ((entry.role ?? entry.name) as string | undefined) : undefined;
        if (!name) throw new InputError('each entry of roles needs the role\'s name (a string, or role: NAME)', { location: at });
        const owner: Raw = isMapping(entry) ? entry : {};
        const reserved = ['role', 'name', 'when', 'tags', 'vars', 'become', 'become_user', 'ignore_errors', 'no_log', 'check_mode', 'diff', 'delegate_to', 'run_once'];
        const params: Raw = isMapping(entry) ? Object.fromEntries(Object.entries(entry).filter(([k]) => !reserved.includes(k))) : {};
        if (isMapping(entry) && isMapping(entry.vars)) Object.assign(params, entry.vars);
        if (isMapping(entry)) checkConditions(asConditions(entry.when), entry, 'when');
        return this.under(owner, () => this.roleOnce(name, {}, params, owner, file, [file], at));
      });
      if (node) roleNodes.push(node);
    }
    const handlers = [...flattenHandlers(await this.taskList(raw.handlers, raw, 'handlers', file, [file], true))];
    const hosts = Array.isArray(raw.hosts) ? raw.hosts.join(',') : String(raw.hosts);
    const serial = raw.serial === undefined ? undefined : Array.isArray(raw.serial) ? (raw.serial as (number | string)[]) : [raw.serial as number | string];
    const mfp = raw.max_fail_percentage;
    const preTasks = await this.taskList(raw.pre_tasks, raw, 'pre_tasks', file, [file]);
    const tasks = [...roleNodes, ...(await this.taskList(raw.tasks, raw, 'tasks', file, [file]))];
    const postTasks = await this.taskList(raw.post_tasks, raw, 'post_tasks', file, [file]);
    // Handlers of roles (also of import_role in the tasks), after the play's own: a play's handler of the same name wins.
    handlers.push(...this.roleHandlers);
    const handlerNames = handlers.flatMap((h) => [h.name, ...(h.listen ?? [])]).filter((n): n is string => n !== undefined);
    checkNotify([...preTasks, ...tasks, ...postTasks, ...handlers], handlerNames, this.problems);
    return {
      name: (raw.name as string | undefined) ?? hosts,
      hosts,
      hostsLocation: locate(raw, 'hosts') ?? where(raw, file, 'hosts'),
      vars: { ...((raw.vars as Raw | null) ?? {}) },
      varsFiles: [],
      become: raw.become as boolean | undefined,
      becomeUser: raw.become_user as string | undefined,
      remoteUser: raw.remote_user === undefined || raw.remote_user === null ? undefined : String(raw.remote_user),
      checkMode: raw.check_mode as boolean | string | undefined,
      diff: raw.diff as boolean | string | undefined,
      gatherFacts: raw.gather_facts === undefined ? true : (raw.gather_facts as boolean | string),
      serial,
      maxFailPercentage: mfp === undefined ? undefined : Number(String(mfp).replace('%', '')),
      anyErrorsFatal: raw.any_errors_fatal as boolean | string | undefined,
      environment: raw.environment as Record<string, unknown> | string | undefined,
      tags: asList(raw.tags),
      preTasks,
      tasks,
      postTasks,
      handlers,
      location: where(raw, file),
      dir: path.dirname(file),
      varsFilesVars: vars,
    };
  }
}

/** Marks the tasks that come from a role (its folder is searched for files/ and templates/). */
function markRole(nodes: Node[], dir: string): void {
  for (const n of nodes) {
    if (n.kind === 'task') n.roleDir ??= dir;
    else if (n.kind === 'block') markRole([...n.block, ...n.rescue, ...n.always], dir);
    else markRole(n.tasks, dir);
  }
}

/** Handlers may come from import_tasks files: flatten them (with the import's keywords) into one list. */
function flattenHandlers(nodes: Node[]): TaskNode[] {
  const out: TaskNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'task') out.push(n);
    else if (n.kind === 'include' && n.isStatic) {
      for (const h of flattenHandlers(n.tasks)) out.push({ ...h, when: [...(n.when ?? []), ...(h.when ?? [])], vars: { ...(n.vars ?? {}), ...(h.vars ?? {}) }, defaults: { ...(n.defaults ?? {}), ...(h.defaults ?? {}) } });
    } else {
      throw new InputError(`handlers may be tasks or import_tasks; ${n.kind === 'include' ? 'include_tasks' : 'a block'} is not supported there`, { location: n.location });
    }
  }
  return out;
}

/**
 * Reads and checks a playbook file. Every problem is reported at once; with
 * `collect`, problems are added to it and the playbook returned without the
 * parts that had them (validate goes on to check hosts and variables).
 */
export async function loadPlaybook(file: string, opts: { catalog: ModuleCatalog; collect?: InputError[] }): Promise<Playbook> {
  const full = path.resolve(file);
  const problems: InputError[] = [];
  const unavailable: InputError[] = [];
  const plays = await loadPlays(file, opts.catalog, problems, [], unavailable);
  if (problems.length) {
    if (!opts.collect) throw new InputErrors(problems);
    opts.collect.push(...problems);
  }
  return { file: full, dir: path.dirname(full), plays, unavailable };
}

const IMPORT_PLAYBOOK = ['import_playbook', 'ansible.builtin.import_playbook'];

/**
 * The plays of a playbook file, with those of the playbooks it imports
 * (import_playbook, relative to the importing file; `vars` and `tags` on the
 * import go to each imported play) in their place.
 */
async function loadPlays(file: string, catalog: ModuleCatalog, problems: InputError[], stack: string[], unavailable: InputError[]): Promise<Play[]> {
  const full = path.resolve(file);
  const data = await loadYamlFile(file);
  if (!Array.isArray(data)) {
    throw new InputError('a playbook must be a list of plays', {
      location: locate(data) ?? { file, line: 1, column: 1 },
      hint: 'start each play with "- name: ..." and "hosts: ..."',
    });
  }
  const loader = new Loader(path.dirname(full), catalog);
  const plays: Play[] = [];
  for (let i = 0; i < data.length; i++) {
    const raw = data[i];
    const key = isMapping(raw) ? IMPORT_PLAYBOOK.find((k) => k in raw) : undefined;
    if (key) {
      const imported = await loader.attempt(async () => {
        rejectUnknownKeys(raw, [key, 'name', 'vars', 'tags'], 'import_playbook', file);
        const target = raw[key];
        if (typeof target !== 'string' || target === '' || isTemplate(target)) throw new InputError('import_playbook needs a playbook file name (not a template)', { location: where(raw, file, key) });
        const resolved = path.resolve(path.dirname(full), target);
        if ([...stack, full].includes(resolved)) throw new InputError(`import_playbook cycle: ${[...stack, full, resolved].map((p) => path.basename(p)).join(' -> ')}`, { location: where(raw, file, key) });
        try {
          accessSync(resolved);
        } catch {
          throw new InputError(`import_playbook: file not found: ${target} (looked in ${path.dirname(full)})`, { location: where(raw, file, key) });
        }
        const sub = await loadPlays(resolved, catalog, problems, [...stack, full], unavailable);
        const vars = isMapping(raw.vars) ? (raw.vars as Raw) : {};
        return sub.map((p) => ({ ...p, vars: { ...p.vars, ...vars }, tags: [...asList(raw.tags), ...p.tags] }));
      });
      if (imported) plays.push(...imported);
      continue;
    }
    const play = await loader.attempt(() => loader.play(raw, i, file));
    if (play) plays.push(play);
  }
  problems.push(...loader.problems);
  unavailable.push(...loader.deferred);
  return plays;
}

/**
 * The module of a task whose `action:` names it with a template: any arguments are taken here; the engine
 * renders the name for each host, finds the module (TaskNode.resolveModule) and checks the arguments then.
 */
function dynamicModule(template: string): ModuleDef {
  return {
    name: template,
    schema: { type: 'object' },
    plan: () => Promise.reject(new Error(`the module of 'action: ${template}' was not resolved`)),
  };
}

/** Keys of a task that name no module to look up: includes, imports and roles (the loader's own), handlers' listen, action. */
const NOT_MODULES = new Set(['listen', 'action', 'local_action', 'import_playbook', ...INCLUDE_ACTIONS, ...ROLE_ACTIONS].flatMap((k) => [k, `ansible.builtin.${k}`, `ansible.legacy.${k}`]));

/** Gives `notify` to the tasks under a block that have none of their own (nested blocks and imports too). */
function inheritNotify(nodes: Node[], notify: string[]): void {
  for (const n of nodes) {
    if (n.kind === 'task') n.notify ??= notify;
    else if (n.kind === 'block') inheritNotify([...n.block, ...n.rescue, ...n.always], notify);
    else inheritNotify(n.tasks, notify);
  }
}

