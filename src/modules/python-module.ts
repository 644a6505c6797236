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
import path from 'node:path';
import { shellQuote } from '../util/shell-quote.ts';
import type { ExecResult } from '../connection/types.ts';
import type { FileDiff, ModuleDef, Plan } from './types.ts';

/**
 * Packs modules on request, one JSON line in and one out, for as long as the run lasts: ansible-core is started
 * once (about 0.7 s), each module after that in a few milliseconds. Ends when its stdin closes (the run ends).
 */
const PACKER = String.raw`
import base64, json, sys, warnings
warnings.simplefilter('ignore')
from ansible.executor.module_common import modify_module
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import module_utils_loader
from ansible.template import Templar
templar = Templar(loader=DataLoader())
added = set()
for line in sys.stdin:
    req = json.loads(line)
    try:
        for d in req['utils']:
            if d not in added:
                module_utils_loader.add_directory(d)
                added.add(d)
        data, style, shebang = modify_module(req['name'], req['path'], req['args'], templar, task_vars={'ansible_python_interpreter': req['interpreter']}, module_compression='ZIP_DEFLATED')
        out = {'id': req['id'], 'style': style, 'payload': base64.b64encode(data).decode('ascii')}
    except Exception as e:
        out = {'id': req['id'], 'error': '%s: %s' % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
`;

/** Where ansible-core finds modules by name (its builtins, routed short names, installed collections), and whether an action plugin goes with them. */
const RESOLVER = String.raw`
import json, sys, warnings
warnings.simplefilter('ignore')
from ansible.plugins.loader import _configure_collection_loader, action_loader, module_loader
_configure_collection_loader()
out = {}
for name in json.load(sys.stdin):
    m = module_loader.find_plugin_with_context(name)
    if not m.resolved or not m.plugin_resolved_path or not m.plugin_resolved_path.endswith('.py'):
        out[name] = None
        continue
    a = action_loader.find_plugin_with_context(name)
    # 'normal' (what most modules get) and the collections' own generic action need nothing of the controller.
    out[name] = {'path': m.plugin_resolved_path, 'fqcn': m.plugin_resolved_name.replace('ansible_collections.', '').replace('.plugins.modules.', '.'), 'action': bool(a.resolved and a.plugin_resolved_name not in ('normal', 'ansible.builtin.normal'))}
json.dump(out, sys.stdout)
`;

type Resolved = { path: string; fqcn: string; action: boolean } | null;
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
export function moduleOutcome(out: ExecResult): { failed: boolean; changed: boolean; skipped: boolean; msg: string; result: Record<string, unknown> } {
  const parsed = jsonOf(out.stdout);
  if (!parsed) {
    const result = { module_stdout: out.stdout, module_stderr: out.stderr, rc: out.code };
    // Ansible's words; its callback then prints module_stderr, which a jitsi-fleet line would not show: its last line here.
    const last = (out.stderr || out.stdout).trim().split('\n').pop();
    return { failed: true, changed: false, skipped: false, msg: `MODULE FAILURE\nSee stdout/stderr for the exact error${last ? `: ${last}` : ''}`, result };
  }
  // ansible-playbook drops the module's echo of its arguments from the result it registers.
  delete parsed.invocation;
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

type PackerAnswer = { style?: string; payload?: string; error?: string };
type Packer = { child: ChildProcess; waiting: Map<number, (answer: PackerAnswer) => void>; next: number; stderr: string };

/** The packer process of this run, started at its first request. */
let packerProcess: Packer | undefined;

function request(python: string, req: Record<string, unknown>): Promise<PackerAnswer> {
  if (!packerProcess) {
    const child = spawn(python, ['-c', PACKER], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p: Packer = { child, waiting: new Map(), next: 1, stderr: '' };
    packerProcess = p;
    const gone = (why: string) => {
      if (packerProcess === p) packerProcess = undefined;
      for (const w of p.waiting.values()) w({ error: `ansible-core's packer ended (${why}): ${p.stderr.trim().split('\n').slice(-3).join(' ')}` });
      p.waiting.clear();
    };
    child.on('error', (e) => gone(e.message));
    child.on('exit', (code, signal) => gone(signal ?? `exit ${code}`));
    child.stderr!.on('data', (d) => (p.stderr = (p.stderr + d).slice(-4000)));
    // A packer that died: its exit answers what waits (a write into it must not throw).
    child.stdin!.on('error', () => undefined);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let answer: PackerAnswer & { id?: number };
      try {
        answer = JSON.parse(line);
      } catch {
        return;
      }
      const w = answer.id === undefined ? undefined : p.waiting.get(answer.id);
      if (!w) return;
      p.waiting.delete(answer.id!);
      w(answer);
      if (p.waiting.size === 0) idle(p.child, true);
    });
  }
  const p = packerProcess;
  const id = p.next++;
  idle(p.child, false);
  return new Promise((resolve) => {
    p.waiting.set(id, resolve);
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
      const interp = String(ctx.vars('ansible_python_interpreter') ?? '/usr/bin/python3');
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
