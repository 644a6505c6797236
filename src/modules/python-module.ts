/**
 * Ansible's Python modules, run as ansible-playbook runs them: a project's own (`library/<name>.py` of a role,
 * beside the task file or the playbook, with its `module_utils/`), and those jitsi-fleet lacks that ansible-core
 * on this machine has (its builtins, installed collections). Each is packed with the `ansible.module_utils` it
 * imports by ansible-core's own packer (AnsiballZ, executor/module_common.modify_module), sent on stdin to the
 * host's Python (as Ansible's pipelining does), and its JSON answer read back. A Python that imports
 * ansible-core is JITSI_FLEET_ANSIBLE_PYTHON, else ansible-playbook's on PATH, else python3; without one a
 * project's module is refused before the run (and ansible-core's are unknown).
 *
 * ```yaml
 * - convert_camelCase: { data: { foo_bar: 1 } }   # library/convert_camelCase.py
 *   register: out
 * - community.general.ini_file: { path: /etc/app.ini, section: s, option: port, value: "10000" }
 * ``` */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shellQuote } from '../util/shell-quote.ts';
import type { ExecResult } from '../connection/types.ts';
import type { FileDiff, ModuleContext, ModuleDef, Plan } from './types.ts';
import type { Lookup } from '../util/lookup.ts';

/**
 * Packs modules on request, one JSON line in and one out, for as long as the run lasts: ansible-core is started
 * once (about 0.7 s), each module after that in a few milliseconds. Ends when its stdin closes (the run ends).
 */
const PACKER = String.raw`
import base64, json, os, sys, threading, traceback, warnings
warnings.simplefilter('ignore')
# The answers go out on a copy of stdout; what Ansible's code prints (Display) goes to stderr.
proto = os.fdopen(os.dup(1), 'w')
os.dup2(2, 1)
sys.stdout = sys.stderr
from ansible.errors import AnsibleAction, AnsibleError
from ansible.executor.module_common import modify_module
from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.connection import ConnectionBase
from ansible.plugins.loader import _configure_collection_loader, action_loader, become_loader, module_loader, module_utils_loader
import ansible.plugins.loader as shared_loader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar
_configure_collection_loader()
templar = Templar(loader=DataLoader())
lock = threading.Lock()
# Ansible's code is not made for threads (its plugin loaders put half-loaded modules in sys.modules): one thread
# runs it at a time, and lets go of it only while it waits for the host (call), where the time goes.
ansible_lock = threading.Lock()
added = set()
calls = {}
counter = [0]

def send(obj):
    line = json.dumps(obj, cls=AnsibleJSONEncoder) + '\n'
    with lock:
        proto.write(line)
        proto.flush()

def add_dirs(loader, dirs):
    for d in dirs:
        if (loader, d) not in added:
            loader.add_directory(d)
            added.add((loader, d))

def call(rid, what, **kw):
    """Asks jitsi-fleet to do one thing on the host (a command, a file to or from it) and waits for its answer."""
    with lock:
        counter[0] += 1
        cid = counter[0]
    slot = calls[cid] = [threading.Event(), None]
    send(dict(kw, id=rid, call=what, cid=cid))
    ansible_lock.release()
    try:
        slot[0].wait()
    finally:
        ansible_lock.acquire()
    del calls[cid]
    if slot[1].get('error'):
        raise AnsibleError(slot[1]['error'])
    return slot[1]

class Host(ConnectionBase):
    """The host's connection as jitsi-fleet holds it: each command and file goes through jitsi-fleet's one connection."""
    transport = 'jitsi_fleet'
    has_pipelining = True
    always_pipeline_modules = True
    def __init__(self, play_context, rid):
        super().__init__(play_context, None)
        self.rid = rid
    def _connect(self):
        self._connected = True
        return self
    def exec_command(self, cmd, in_data=None, sudoable=True):
        stdin = None if in_data is None else base64.b64encode(in_data if isinstance(in_data, bytes) else in_data.encode()).decode('ascii')
        a = call(self.rid, 'exec', cmd=cmd.decode() if isinstance(cmd, bytes) else cmd, stdin=stdin, sudoable=bool(sudoable))
        return a['rc'], a['stdout'].encode(), a['stderr'].encode()
    def put_file(self, in_path, out_path):
        call(self.rid, 'put', src=in_path, dest=out_path)
    def fetch_file(self, in_path, out_path):
        call(self.rid, 'fetch', src=in_path, dest=out_path)
    def close(self):
        self._connected = False

class NoWrap:
    """Ansible's become as far as its action code asks about it; the command itself is wrapped by jitsi-fleet (sudoable)."""
    def __init__(self, plugin):
        self.plugin = plugin
    def __getattr__(self, name):
        return getattr(self.plugin, name)
    def build_become_command(self, cmd, shell):
        return cmd

def act(req):
    with ansible_lock:
        send({'id': req['id'], 'result': run_action(req)})

def run_action(req):
    rid = req['id']
    try:
        add_dirs(module_utils_loader, req['utils'])
        add_dirs(module_loader, req['library'])
        add_dirs(action_loader, req['actions'])
        loader = DataLoader()
        loader.set_basedir(req['basedir'])
        pc = PlayContext()
        pc.check_mode = req['check']
        pc.diff = req['diff']
        pc.remote_user = req['user']
        conn = Host(pc, rid)
        if req['become'] is not None:
            plugin = become_loader.get('sudo')
            plugin.set_options(direct={'become_user': req['become']})
            conn.set_become_plugin(NoWrap(plugin))
        task = Task()
        task.action = req['name']
        task.resolved_action = req['fqcn']
        task.args = req['args']
        task.check_mode = req['check']
        task.diff = req['diff']
        task.get_search_path = lambda: req['search']
        variables = req['vars']
        handler = action_loader.get(req['name'], task=task, connection=conn, play_context=pc, loader=loader, templar=Templar(loader=loader, variables=variables), shared_loader_obj=shared_loader)
        if handler is None:
            raise AnsibleError("the action plugin '%s' was not found" % req['name'])
        try:
            result = handler.run(task_vars=variables)
        finally:
            handler.cleanup()
    except AnsibleAction as e:
        # Its own skip or failure, with the result it carries (AnsibleActionSkip: check mode not supported).
        result = dict(e.result)
    except AnsibleError as e:
        result = dict(failed=True, msg=str(e))
    except Exception as e:
        result = dict(failed=True, msg='Unexpected failure during module execution: %s' % e, exception=traceback.format_exc(), stdout='')
    return result

for line in sys.stdin:
    req = json.loads(line)
    if 'cid' in req:
        slot = calls.get(req['cid'])
        if slot:
            slot[1] = req
            slot[0].set()
        continue
    if 'action' in req:
        threading.Thread(target=act, args=(req,), daemon=True).start()
        continue
    try:
        with ansible_lock:
            add_dirs(module_utils_loader, req['utils'])
            data, style, shebang = modify_module(req['name'], req['path'], req['args'], templar, task_vars={'ansible_python_interpreter': req['interpreter']}, module_compression='ZIP_DEFLATED')
        out = {'id': req['id'], 'style': style, 'payload': base64.b64encode(data).decode('ascii')}
    except Exception as e:
        out = {'id': req['id'], 'error': '%s: %s' % (type(e).__name__, e)}
    send(out)
`;

/** The host's Python when the inventory names none (ansible_python_interpreter), for modules and action plugins alike. */
const DEFAULT_INTERPRETER = '/usr/bin/python3';

/** Where ansible-core finds modules by name (its builtins, routed short names, installed collections), and whether an action plugin goes with them. */
const RESOLVER = String.raw`
import json, sys, warnings
warnings.simplefilter('ignore')
from ansible.plugins.loader import _configure_collection_loader, action_loader, module_loader
_configure_collection_loader()
def fq(n, kind):
    n = n.replace('ansible_collections.', '').replace('.plugins.%s.' % kind, '.')
    return n if '.' in n else 'ansible.builtin.' + n
out = {}
for name in json.load(sys.stdin):
    m = module_loader.find_plugin_with_context(name)
    if not m.resolved or not m.plugin_resolved_path or not m.plugin_resolved_path.endswith('.py'):
        out[name] = None
        continue
    a = action_loader.find_plugin_with_context(name)
    # 'normal' (what most modules get) and the collections' own generic action need nothing of the controller.
    action = a.resolved and a.plugin_resolved_name not in ('normal', 'ansible.builtin.normal')
    out[name] = {'path': m.plugin_resolved_path, 'fqcn': fq(m.plugin_resolved_name, 'modules'), 'action': fq(a.plugin_resolved_name, 'action') if action else None}
json.dump(out, sys.stdout)
`;

/** action: the name of the action plugin that goes with the module (code run on the controller), if any. */
type Resolved = { path: string; fqcn: string; action: string | null } | null;
const resolved = new Map<string, Resolved>();

/** Records the resolver's answer for `names` (a name it does not know, or no answer at all: none). */
function remember(names: string[], stdout: string | undefined): void {
  let found: Record<string, Resolved> = {};
  try {
    if (stdout !== undefined) found = JSON.parse(stdout);
  } catch {
    // none found
  }
  for (const n of names) resolved.set(n, found[n] ?? null);
}

/** Finds several module names in one ansible-core start (a task file's at once); ansibleModule() then answers from what it found. */
export async function resolveAnsibleModules(names: string[]): Promise<void> {
  const todo = [...new Set(names)].filter((n) => !resolved.has(n));
  if (todo.length === 0) return;
  const { python, problem } = ansiblePython();
  if (problem) return;
  await new Promise<void>((resolve) => {
    const child = execFile(python, ['-c', RESOLVER], { encoding: 'utf8', timeout: 60_000 }, (err, stdout) => {
      // Not answered (ansible-core failed): each name is asked again on its own when needed.
      if (!err) remember(todo, stdout);
      resolve();
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(todo));
  });
}

/**
 * A module ansible-core on this machine has by `name` (a builtin jitsi-fleet lacks, or one of an installed
 * collection): its file, and whether it comes with an action plugin (code that runs on the controller,
 * which jitsi-fleet cannot run). Undefined without ansible-core; null when it has none of that name.
 */
export function ansibleModule(name: string): Resolved | undefined {
  if (resolved.has(name)) return resolved.get(name);
  const { python, problem } = ansiblePython();
  if (problem) return undefined;
  let stdout: string | undefined;
  try {
    stdout = execFileSync(python, ['-c', RESOLVER], { input: JSON.stringify([name]), encoding: 'utf8', timeout: 60_000, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    // none found
  }
  remember([name], stdout);
  return resolved.get(name);
}

let packerPython: { python: string; problem?: string } | undefined;

/** The Python whose ansible-core packs modules, or why there is none (asked once per process). */
export function ansiblePython(): { python: string; problem?: string } {
  if (packerPython) return packerPython;
  // Named by the user; else the Python of ansible-playbook on PATH (its shebang); else python3.
  const candidates: string[] = [];
  if (process.env.JITSI_FLEET_ANSIBLE_PYTHON) candidates.push(process.env.JITSI_FLEET_ANSIBLE_PYTHON);
  else {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const candidate = path.join(dir, 'ansible-playbook');
      if (!dir || !existsSync(candidate)) continue;
      const first = readFileSync(candidate, 'latin1').split('\n', 1)[0];
      const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
      if (m && /python/.test(path.basename(m[1]) === 'env' && m[2] ? m[2] : m[1])) candidates.push(path.basename(m[1]) === 'env' && m[2] ? m[2] : m[1]);
      break;
    }
    candidates.push('python3');
  }
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', 'import ansible.executor.module_common'], { stdio: 'ignore', timeout: 30_000 });
      return (packerPython = { python });
    } catch {
      // the next one
    }
  }
  return (packerPython = { python: candidates[0], problem: `${candidates.join(', then ')} cannot import ansible-core, whose packer runs Ansible's Python modules` });
}

/** Ansible's _filter_non_json_lines: from the first line that opens a JSON object to the last that closes it. */
function jsonOf(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith('{'));
  if (start < 0) return undefined;
  let end = lines.length - 1;
  while (end > start && !lines[end].trimEnd().endsWith('}')) end--;
  try {
    const v = JSON.parse(lines.slice(start, end + 1).join('\n'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The task's outcome from the module's answer, as Ansible's task executor reads it (a non-zero rc fails unless `failed` says). */
export function moduleOutcome(out: ExecResult): Outcome {
  const parsed = jsonOf(out.stdout);
  if (!parsed) {
    const result = { module_stdout: out.stdout, module_stderr: out.stderr, rc: out.code };
    // Ansible's words; its callback then prints module_stderr, which a jitsi-fleet line would not show: its last line here.
    const last = (out.stderr || out.stdout).trim().split('\n').pop();
    return { failed: true, changed: false, skipped: false, msg: `MODULE FAILURE\nSee stdout/stderr for the exact error${last ? `: ${last}` : ''}`, result };
  }
  return outcomeOf(parsed);
}

type Outcome = { failed: boolean; changed: boolean; skipped: boolean; msg: string; result: Record<string, unknown> };

/** A module's or action plugin's result as the task executor takes it: its echo of the arguments and internal keys dropped, `failed` from rc where it does not say. */
function outcomeOf(parsed: Record<string, unknown>): Outcome {
  // ansible-playbook drops the module's echo of its arguments (and its own _ansible_ keys) from the result it registers.
  delete parsed.invocation;
  for (const k of Object.keys(parsed)) if (k.startsWith('_ansible_')) delete parsed[k];
  const rc = parsed.rc;
  const failed = 'failed' in parsed ? Boolean(parsed.failed) : rc !== undefined && rc !== 0 && rc !== '0';
  return { failed, changed: Boolean(parsed.changed), skipped: Boolean(parsed.skipped), msg: typeof parsed.msg === 'string' ? parsed.msg : '', result: parsed };
}

/** A module's `diff` (one or a list of {before, after, before_header, after_header}) as the engine shows diffs. */
function diffsOf(diff: unknown, name: string): FileDiff[] {
  const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : `${JSON.stringify(v, null, 4)}\n`);
  return (Array.isArray(diff) ? diff : diff ? [diff] : [])
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object' && ('before' in d || 'after' in d))
    .map((d) => ({ path: String(d.after_header ?? d.before_header ?? name), before: text(d.before), after: text(d.after) }));
}

type PackerAnswer = { style?: string; payload?: string; error?: string; result?: Record<string, unknown> };
/** What an action plugin asks of the host while it runs (see Host in the packer). */
type HostCall = { call: 'exec' | 'put' | 'fetch'; cid: number; cmd?: string; stdin?: string | null; sudoable?: boolean; src?: string; dest?: string };
type Waiting = { done: (answer: PackerAnswer) => void; onCall?: (c: HostCall) => Promise<Record<string, unknown>> };
type Packer = { child: ChildProcess; waiting: Map<number, Waiting>; next: number; stderr: string };

/** The packer process of this run, started at its first request. */
let packerProcess: Packer | undefined;

function request(python: string, req: Record<string, unknown>, onCall?: Waiting['onCall']): Promise<PackerAnswer> {
  if (!packerProcess) {
    const child = spawn(python, ['-c', PACKER], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p: Packer = { child, waiting: new Map(), next: 1, stderr: '' };
    packerProcess = p;
    const gone = (why: string) => {
      if (packerProcess === p) packerProcess = undefined;
      for (const w of p.waiting.values()) w.done({ error: `ansible-core's packer ended (${why}): ${p.stderr.trim().split('\n').slice(-3).join(' ')}` });
      p.waiting.clear();
    };
    child.on('error', (e) => gone(e.message));
    child.on('exit', (code, signal) => gone(signal ?? `exit ${code}`));
    child.stderr!.on('data', (d) => (p.stderr = (p.stderr + d).slice(-4000)));
    // A packer that died: its exit answers what waits (a write into it must not throw).
    child.stdin!.on('error', () => undefined);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let answer: PackerAnswer & { id?: number } & Partial<HostCall>;
      try {
        answer = JSON.parse(line);
      } catch {
        return;
      }
      const w = answer.id === undefined ? undefined : p.waiting.get(answer.id);
      if (!w) return;
      if (answer.call !== undefined) {
        // An action plugin's question: answered once the host has done it (an error becomes Ansible's AnsibleError).
        const c = answer as HostCall;
        const asked = w.onCall ? w.onCall(c) : Promise.reject(new Error('nothing answers the host calls of this request'));
        asked
          .catch((e: Error) => ({ error: e.message }))
          .then((reply) => p.child.stdin!.write(`${JSON.stringify({ ...reply, cid: c.cid })}\n`));
        return;
      }
      p.waiting.delete(answer.id!);
      w.done(answer);
      if (p.waiting.size === 0) idle(p.child, true);
    });
  }
  const p = packerProcess;
  const id = p.next++;
  idle(p.child, false);
  return new Promise((resolve) => {
    p.waiting.set(id, { done: resolve, onCall });
    p.child.stdin!.write(`${JSON.stringify({ ...req, id })}\n`);
  });
}

/** An idle packer does not hold the run open (its pipes unreferenced); a busy one does. */
function idle(child: ChildProcess, yes: boolean): void {
  for (const s of [child.stdin, child.stdout, child.stderr] as unknown as ({ ref?(): void; unref?(): void } | null)[]) (yes ? s?.unref?.() : s?.ref?.());
  if (yes) child.unref();
  else child.ref();
}

/** The payloads, cached by module, interpreter and arguments. */
const payloads = new Map<string, Promise<string>>();

function pack(name: string, file: string, utils: string[], interpreter: string, args: Record<string, unknown>): Promise<string> {
  const key = JSON.stringify([file, interpreter, args]);
  let p = payloads.get(key);
  if (!p) {
    const { python, problem } = ansiblePython();
    p = problem
      ? Promise.reject(new Error(problem))
      : request(python, { name, path: file, utils, interpreter, args }).then((one) => {
          if (one.error !== undefined) throw new Error(`packing ${name} (${file}) failed: ${one.error}`);
          if (one.style !== 'new') throw new Error(`${file} is an ${one.style} style module (arguments in a file): jitsi-fleet runs modules written with AnsibleModule only`);
          return Buffer.from(one.payload ?? '', 'base64').toString('utf8');
        });
    payloads.set(key, p);
  }
  return p;
}

/** The ModuleDef that runs `file` (a project's library/<name>.py); `utils` are the project's module_utils folders. */
export function pythonModule(name: string, file: string, utils: string[]): ModuleDef<Record<string, unknown>> {
  return {
    name,
    schema: { type: 'object' },
    async plan(a, ctx): Promise<Plan> {
      const interp = String(ctx.vars('ansible_python_interpreter') ?? DEFAULT_INTERPRETER);
      const internal = { _ansible_check_mode: ctx.check, _ansible_diff: ctx.diff, _ansible_module_name: name };
      let payload: string;
      try {
        payload = await pack(name, file, utils, interp, { ...a, ...internal });
      } catch (e) {
        return { changes: [], failed: true, msg: (e as Error).message };
      }
      const command = shellQuote(interp);
      if (ctx.check) {
        // The module itself answers for check mode (AnsibleModule skips when it does not support it).
        const o = moduleOutcome(await ctx.probe(command, payload));
        if (o.skipped) return { changes: [], skipped: true, msg: o.msg || `${name} does not support check mode` };
        if (o.failed) return { changes: [], failed: true, msg: o.msg, result: o.result };
        return o.changed
          ? { changes: [], predicted: true, msg: o.msg || `${name} would change`, result: o.result, ...(ctx.diff ? { diff: diffsOf(o.result.diff, name) } : {}) }
          : { changes: [], msg: o.msg || `${name}: nothing to change`, result: o.result };
      }
      return {
        changes: [{ kind: 'exec', command, stdin: payload }],
        msg: `run ${name}`,
        finish([out]) {
          const o = moduleOutcome(out);
          return { failed: o.failed, changed: o.changed, msg: o.msg, result: o.result, ...(ctx.diff && o.changed ? { diff: diffsOf(o.result.diff, name) } : {}) };
        },
      };
    },
  };
}

/** Where a project's Python plugins are (the folders Ansible would add to its loaders). */
export interface PluginDirs {
  library: string[];
  actions: string[];
  utils: string[];
}

/** Connection passwords: jitsi-fleet logs in and becomes itself, so the plugin never needs them. */
const CONNECTION_SECRET = /^ansible_(become_pass(word)?|sudo_pass(word)?|password|ssh_pass(word)?)$/;

/**
 * The task's variables as an action plugin gets them (task_vars): what can be sent as JSON; hostvars and vars
 * (the same values again) and the connection's passwords left out.
 */
export function taskVars(vars: Lookup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of vars.names?.() ?? []) {
    if (name === 'hostvars' || name === 'vars' || CONNECTION_SECRET.test(name)) continue;
    try {
      const v = vars(name);
      if (v !== undefined) out[name] = JSON.parse(JSON.stringify(v) ?? 'null');
    } catch {
      // a value that cannot be templated or sent is left out, as an unused undefined is in Ansible
    }
  }
  return out;
}

/** A call an action plugin made that the host cannot answer (its AnsibleError), as opposed to the connection failing. */
class PluginError extends Error {}

/** Answers an action plugin's call on the host: a command (with become when Ansible would use it), a file to the host or from it. */
async function hostCall(c: HostCall, ctx: ModuleContext): Promise<Record<string, unknown>> {
  const conn = ctx.remote!;
  if (c.call === 'exec') {
    const stdin = c.stdin ? Buffer.from(c.stdin, 'base64') : undefined;
    const out = await conn.exec(`${ctx.environment ?? ''}${c.cmd}`, { stdin, become: c.sudoable ? ctx.become : undefined });
    return { rc: out.code, stdout: out.stdout, stderr: out.stderr };
  }
  if (c.call === 'put') {
    // As the login user, as Ansible's put_file (the plugin then makes it readable for a become user itself).
    await conn.writeFile(c.dest!, await readFile(c.src!));
    return {};
  }
  const got = (await conn.readFiles([c.src!])).get(c.src!);
  if (!got || got.state !== 'file') throw new PluginError(`file or module does not exist: ${c.src}${got?.state === 'unreadable' ? ` (${got.reason})` : ''}`);
  await writeFile(c.dest!, got.content);
  return {};
}

/**
 * The ModuleDef that runs an Ansible action plugin (ansible-core's, an installed collection's, a project's
 * action_plugins/<name>.py) inside the packer process: the plugin's commands and files go to the host through
 * the run's own connection (with become where Ansible would use it), and it does its own check mode and diff.
 */
export function actionPlugin(name: string, fqcn: string, dirs: PluginDirs): ModuleDef<Record<string, unknown>> {
  return {
    name,
    schema: { type: 'object' },
    drivesHost: true,
    async plan(a, ctx): Promise<Plan> {
      const { python, problem } = ansiblePython();
      if (problem) return { changes: [], failed: true, msg: problem };
      if (!ctx.remote) return { changes: [], failed: true, msg: `${name} runs on a host` };
      const vars = taskVars(ctx.vars);
      vars.ansible_python_interpreter ??= DEFAULT_INTERPRETER;
      const req = {
        action: true, name, fqcn, args: a, vars, check: ctx.check, diff: ctx.diff, user: ctx.remote.user, become: ctx.become?.user ?? null,
        search: ctx.searchDirs, basedir: ctx.searchDirs[ctx.searchDirs.length - 1], ...dirs,
      };
      // What the connection itself threw (the host gone, an earlier queued write failed) is the engine's to report,
      // once the plugin has been told and has ended; what the plugin asked wrongly (a file the host lacks) is its own.
      let thrown: unknown;
      const answer = await request(python, req, (c) =>
        hostCall(c, ctx).catch((e) => {
          if (!(e instanceof PluginError)) thrown ??= e;
          throw e;
        }),
      );
      if (thrown !== undefined) throw thrown;
      if (answer.error !== undefined) return { changes: [], failed: true, msg: answer.error };
      const o = outcomeOf(answer.result ?? {});
      if (o.skipped) return { changes: [], skipped: true, msg: o.msg || `${name}: skipped`, result: o.result };
      const diff = ctx.diff && o.changed ? diffsOf(o.result.diff, name) : undefined;
      return { changes: [], ran: { changed: o.changed }, failed: o.failed, msg: o.msg, result: o.result, ...(diff ? { diff } : {}) };
    },
  };
}
