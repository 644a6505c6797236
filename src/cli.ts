/**
 * The command line: run, check, validate, inventory. Errors are mapped to
 * exit codes: 1 bad input, 2 a task failed, 3 changes (--detailed-exitcode),
 * 4 a host unreachable, 130 interrupted.
 */
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { HostKeyChecking } from './connection/known-hosts.ts';
import type { RunResult } from './engine/run.ts';
import { isFleetError, messageOf, type FleetError } from './errors.ts';
import { parseExtraVars } from './extra-vars.ts';
import { DEFAULT_INVENTORY, loadInventory } from './inventory/load.ts';
import { findAnsibleConfig, loadAnsibleConfig, type AnsibleConfig } from './ansible-cfg.ts';
import type { Inventory } from './inventory/model.ts';
import { inventoryGraph, inventoryHost, inventoryList } from './inventory/report.ts';
import { loadVarsDirs } from './inventory/vars-dirs.ts';
import type { RunEvent } from './events/events.ts';
import { Redactor } from './events/redact.ts';
import { suggest } from './util/suggest.ts';
import { InputError, InputErrors, InternalError } from './errors.ts';
import type { Play } from './playbook/types.ts';

const HELP: Record<string, string> = {
  main: `jitsi-fleet: an Ansible-compatible playbook runner for scaling Jitsi Meet out to many videobridges

Usage: jitsi-fleet <command> [options]

Commands:
  run PLAYBOOK         run a playbook against the inventory
  check PLAYBOOK       the same as 'run --check --diff': show what would change, change nothing
  validate PLAYBOOK... check playbooks (schema, modules, includes, host patterns, templates) without connecting
  inventory            show the inventory as ansible-inventory does (--list, --host NAME, --graph)
  status               what the fleet is doing now: each host, each bridge as jicofo sees it

Run 'jitsi-fleet <command> --help' for a command's options.

Exit codes: 0 success; 1 bad input; 2 a task failed; 3 changes were made or would be made
(with --detailed-exitcode); 4 a host was unreachable (wins over 2); 5 (status) a bridge of the
inventory is not seen or not operational; 70 a bug in jitsi-fleet; 130 interrupted.

Environment: JITSI_FLEET_ANSIBLE_PYTHON, a Python that imports ansible-core, to run a project's library/
modules and the Ansible modules jitsi-fleet lacks (default: ansible-playbook's, else python3);
JITSI_FLEET_CODE_CACHE=0, no V8 code cache beside the bundle.`,
  run: `Usage: jitsi-fleet run PLAYBOOK [options]

Options:
  -i, --inventory FILE     inventory file (YAML or INI; default ${DEFAULT_INVENTORY})
  -C, --check              check mode: plan every task, change nothing
  -D, --diff               show unified diffs of file changes
  -l, --limit PATTERN      only hosts matching PATTERN (e.g. 'jvb*', 'jitsi_bridges:!jvb3')
  -t, --tags TAGS          only tasks with these tags (comma-separated)
      --skip-tags TAGS     skip tasks with these tags
  -e, --extra-vars VARS    KEY=VALUE, @FILE.yml or JSON; repeatable; highest precedence
  -f, --forks N            hosts worked on at once (default 5)
      --output MODE        auto (default), pretty (live progress), plain (one line per task and host), json
      --detailed-exitcode  exit 3 when the run succeeded and something changed (or would change in check mode)
      --host-key-checking MODE
                           yes (default: an unknown host is an error), accept-new (record new keys), no
                           (ANSIBLE_HOST_KEY_CHECKING=False means no; a changed key is always an error)
  -F, --ssh-config FILE    ssh_config to read (default ~/.ssh/config): Host, HostName, User, Port,
                           IdentityFile, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking
  -T, --timeout SECONDS    SSH connect timeout (default 10)
      --lock-wait SECONDS  wait this long for another run's lock on a host (default 300; 0: fail at once).
                           A run (not check mode) takes a lock on each host before its first write;
                           a host locked by another run shows who holds it (pid, controller, since when)
      --no-lock            take no run lock
      --junit FILE         also write a JUnit XML report (one test case per task and host)
      --summary FILE       also write a markdown summary (recap, what changed, diffs)
  -h, --help               this help`,
  check: `Usage: jitsi-fleet check PLAYBOOK [options]

The same as 'jitsi-fleet run --check --diff PLAYBOOK': every task plans against the
hosts as they are (and as earlier tasks would leave them), nothing is written.
Takes the options of 'run'. With --detailed-exitcode, exit 3 means "would change".`,
  validate: `Usage: jitsi-fleet validate PLAYBOOK... [-i INVENTORY] [-e VARS] [--output json] [--no-cache]

Checks each playbook without connecting anywhere: YAML syntax, play and task keywords,
module arguments, imports and includes, handler names, host patterns against the
inventory, template syntax, undefined and required variables (an 'assert: that: NAME is defined'
at the start of a play). Prints 'ok' per playbook, or every problem found (sorted by file and
line), with exit 1.

A second validate of the same command line, in the same folder, over files that have not
changed, repeats the first one's answer without checking again: each run records every file,
folder and environment variable it read, and its answer is reused only if all of them read the
same now (kept under ~/.cache/jitsi-fleet/validate, or $XDG_CACHE_HOME). --no-cache (or
JITSI_FLEET_VALIDATE_CACHE=0) checks anew and keeps nothing.`,
  status: `Usage: jitsi-fleet status [-i INVENTORY] [options]

For each host of the inventory: reachable or not, role (jitsi_meet: main server, jitsi_bridges:
bridge), generation, installed Jitsi package versions, service states; for each bridge whether
jicofo on its main server(s) sees it now and in what state (operational, draining, graceful
shutdown, shutting down), its participants and stress. Bridges jicofo sees that the inventory
does not list are shown too. One connection and one command per host; the local REST interfaces
(jicofo 127.0.0.1:8888, the bridge's 127.0.0.1:8080) are read on the host itself.

Options:
  -i, --inventory FILE   inventory file (default ${DEFAULT_INVENTORY})
  -l, --limit PATTERN    only these hosts (jicofo's view still needs the main servers)
      --output MODE      auto (default: a table in a terminal, lines otherwise), pretty, plain, json
  -w, --watch            refresh every --interval seconds until Ctrl-C
      --interval SECONDS refresh period for --watch (default 3)
  -T, --timeout SECONDS  SSH connect timeout (default 10)
  -F, --ssh-config FILE  ssh_config to read (default ~/.ssh/config)
      --host-key-checking MODE  yes (default), accept-new, no

Exit codes: 0 every bridge of the inventory is seen and operational; 5 a bridge is not
(stopped, not seen, not operational); 4 a host was unreachable.`,
  inventory: `Usage: jitsi-fleet inventory [-i INVENTORY] (--list | --host NAME | --graph [GROUP])

  --list        all groups and host variables as JSON (the same as ansible-inventory --list)
  --host NAME   one host's variables as JSON
  --graph       the group tree`,
};

const common: ParseArgsConfig['options'] = {
  inventory: { type: 'string', short: 'i' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  help: { type: 'boolean', short: 'h' },
};

const runOptions: ParseArgsConfig['options'] = {
  ...common,
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  forks: { type: 'string', short: 'f' },
  output: { type: 'string' },
  'detailed-exitcode': { type: 'boolean' },
  'host-key-checking': { type: 'string' },
  junit: { type: 'string' },
  summary: { type: 'string' },
  'ssh-config': { type: 'string', short: 'F' },
  timeout: { type: 'string', short: 'T' },
  'lock-wait': { type: 'string' },
  'no-lock': { type: 'boolean' },
};

function parse(argv: string[], options: ParseArgsConfig['options']): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, unknown>, positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '');
    const flag = /^Unknown option '(--?[^']+)'/.exec(msg)?.[1];
    const near = flag?.startsWith('--') ? suggest(flag.slice(2), Object.keys(options ?? {})) : undefined;
    throw new InputError(flag ? `unknown option '${flag}'` : msg.split('. ')[0], { hint: near ? `did you mean '--${near}'?` : "see 'jitsi-fleet <command> --help'" });
  }
}

const list = (v: unknown): string[] => ((v as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

type Renderer = { handle(e: RunEvent): void; done(): Promise<void>; abort?(): Promise<void> };

/** The renderer for an output mode, loaded when chosen (listr2 only for a terminal). */
async function pickRenderer(mode: string): Promise<Renderer> {
  if (!['auto', 'pretty', 'plain', 'json'].includes(mode)) throw new InputError(`--output must be auto, pretty, plain or json; got '${mode}'`);
  const ci = process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
  const chosen = mode === 'auto' ? (process.stdout.isTTY && !ci ? 'pretty' : 'plain') : mode;
  if (chosen === 'json') return new (await import('./output/json.ts')).JsonRenderer();
  if (chosen === 'pretty') return new (await import('./output/listr.ts')).ListrRenderer();
  return new (await import('./output/plain.ts')).PlainRenderer();
}

/**
 * ansible.cfg where Ansible would find it, read once: its inventory, forks and roles_path are
 * defaults below the command line and the environment; remote_user, private_key_file and
 * become are variables of every host below the inventory's own.
 */
let configRead: AnsibleConfig | null | undefined;
function ansibleConfig(): AnsibleConfig | undefined {
  if (configRead !== undefined) return configRead ?? undefined;
  const file = findAnsibleConfig();
  configRead = file ? loadAnsibleConfig(file) : null;
  if (configRead) {
    if (configRead.ignored.length) process.stderr.write(`note: ${configRead.file}: not used by jitsi-fleet: ${configRead.ignored.join(', ')}\n`);
    if (configRead.rolesPath && process.env.ANSIBLE_ROLES_PATH === undefined) process.env.ANSIBLE_ROLES_PATH = configRead.rolesPath.join(':');
    if (configRead.hostKeyChecking === false && process.env.ANSIBLE_HOST_KEY_CHECKING === undefined) process.env.ANSIBLE_HOST_KEY_CHECKING = 'False';
  }
  return configRead ?? undefined;
}

function inventoryPath(given: unknown): string {
  return (given as string | undefined) ?? ansibleConfig()?.inventory ?? DEFAULT_INVENTORY;
}

/** The config's host defaults, as variables of the group all where the inventory does not set them. */
function withConfigDefaults(inv: Inventory): Inventory {
  const defaults = ansibleConfig()?.hostDefaults ?? {};
  const all = inv.groups.get('all');
  if (all) for (const [k, v] of Object.entries(defaults)) if (!(k in all.vars)) all.vars[k] = v;
  return inv;
}

function parseHostKeyChecking(v: unknown): HostKeyChecking | undefined {
  if (v === undefined) return undefined;
  if (v === 'yes' || v === 'accept-new' || v === 'no') return v;
  throw new InputError(`--host-key-checking must be yes, accept-new or no; got '${v}'`);
}

/**
 * The run's exit code, as ansible-playbook's where it has one: 130
 * interrupted, 70 a bug of ours, 4 a host unreachable (wins over 2), 2 a task
 * failed, 3 changes with --detailed-exitcode, else 0.
 */
export function exitCodeOf(r: RunResult, detailed: boolean): number {
  if (r.interrupted) return 130;
  if (r.internalErrors) return 70;
  if (r.unreachable) return 4;
  if (r.failed) return 2;
  return detailed && r.changed > 0 ? 3 : 0;
}

/** Who holds a host's run lock, as another run will show it. */
function lockHolder(playbook: string): string {
  return `pid ${process.pid} on ${hostname()} by ${userInfo().username}, since ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, playbook ${path.basename(playbook)}`;
}

async function runCommand(argv: string[], forceCheck: boolean): Promise<number> {
  const { values, positionals } = parse(argv, runOptions);
  if (values.help) {
    console.log(HELP[forceCheck ? 'check' : 'run']);
    return 0;
  }
  if (positionals.length !== 1) throw new InputError(`expected one playbook, got ${positionals.length}`, { hint: `jitsi-fleet ${forceCheck ? 'check' : 'run'} playbooks/add-bridge.yml` });
  const forks = values.forks === undefined ? ansibleConfig()?.forks ?? 5 : Number(values.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new InputError(`--forks must be a positive whole number, got '${values.forks}'`);
  const lockWait = values['lock-wait'] === undefined ? 300 : Number(values['lock-wait']);
  if (!Number.isFinite(lockWait) || lockWait < 0) throw new InputError(`--lock-wait must be a number of seconds (0: do not wait), got '${values['lock-wait']}'`);
  // The inventory and -e are read while the playbook is; the playbook's problems are told first, as before.
  const inventoryLoad = loadInventory(inventoryPath(values.inventory)).then(withConfigDefaults);
  const extraVarsLoad = parseExtraVars((values['extra-vars'] as string[] | undefined) ?? []);
  inventoryLoad.catch(() => undefined);
  extraVarsLoad.catch(() => undefined);
  const { connectionFactory } = await import('./connection/factory.ts');
  const connections = connectionFactory({
    configFile: values['ssh-config'] as string | undefined,
    hostKeyChecking: parseHostKeyChecking(values['host-key-checking']),
    connectTimeoutMs: values.timeout === undefined ? undefined : Number(values.timeout) * 1000,
    user: ansibleConfig()?.remoteUser,
  });
  // The first play's first hosts are connected while the rest of the code is loaded and the
  // playbook read and checked: their handshakes (several network round trips) go on meanwhile.
  await (async () => {
    const [{ firstPlay }, { earlyHosts }] = await Promise.all([import('./playbook/first-play.ts'), import('./engine/early.ts')]);
    const [inv, extra, first] = await Promise.all([inventoryLoad, extraVarsLoad, firstPlay(positionals[0])]);
    await Promise.all(earlyHosts(inv, extra, values.limit as string | undefined, first, forks).map(({ host, vars }) => connections.early(host, vars)));
  })().catch(() => undefined);
  const [{ loadPlaybook }, { catalog }, { checkUndefinedVariables }, { Engine, resolvePlayHosts, addsToInventory }] = await Promise.all([
    import('./playbook/load.ts'),
    import('./modules/index.ts'),
    import('./playbook/undefined.ts'),
    import('./engine/run.ts'),
  ]);
  try {
    return await runLoaded();
  } finally {
    await connections.closeUnused();
  }

  async function runLoaded(): Promise<number> {
    const playbook = await loadPlaybook(positionals[0], { catalog });
    const inventory = await inventoryLoad;
    const extraVars = await extraVarsLoad;
    const playbookDirVars = await loadVarsDirs(playbook.dir);
    const adds = addsToInventory(playbook.plays);
    checkUndefinedVariables(playbook, inventory, playbookDirVars, extraVars, { hostsOf: (p) => resolvePlayHosts({ inventory, extraVars, limit: values.limit as string | undefined }, p, adds) });
    const renderers: Renderer[] = [await pickRenderer((values.output as string | undefined) ?? 'auto')];
    if (values.junit) renderers.push(new (await import('./output/junit.ts')).JunitRenderer(values.junit as string));
    if (values.summary) renderers.push(new (await import('./output/summary.ts')).SummaryRenderer(values.summary as string));
    const renderer: Renderer = {
      handle: (e) => renderers.forEach((r) => r.handle(e)),
      done: async () => void (await Promise.all(renderers.map((r) => r.done()))),
      abort: async () => void (await Promise.all(renderers.map((r) => r.abort?.()))),
    };
    const redactor = new Redactor();
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) {
        process.stderr.write('\naborted: second Ctrl-C\n');
        process.exit(130);
      }
      process.stderr.write('\ninterrupted: finishing the running tasks (at most 30 s), no new task starts; Ctrl-C again aborts at once\n');
      setTimeout(() => {
        process.stderr.write('running tasks did not end within 30 s: aborting\n');
        process.exit(130);
      }, 30_000).unref();
    };
    process.on('SIGINT', onSigint);
    try {
      const engine = new Engine({
        inventory,
        playbook,
        check: forceCheck || Boolean(values.check),
        diff: forceCheck || Boolean(values.diff),
        limit: values.limit as string | undefined,
        tags: { only: list(values.tags), skip: list(values['skip-tags']) },
        extraVars,
        forks,
        emit: (e) => renderer.handle(e),
        redactor,
        playbookDirVars,
        connectionFor: connections,
        remoteUser: ansibleConfig()?.remoteUser,
        stopRequested: () => interrupts > 0,
        writeBehind: process.env.JITSI_FLEET_WRITE_BEHIND !== '0',
        runLock: values['no-lock'] ? undefined : { holder: lockHolder(positionals[0]), waitSeconds: lockWait },
      });
      let result;
      try {
        result = await engine.run();
      } catch (e) {
        await renderer.abort?.();
        throw e;
      }
      await renderer.done();
      return exitCodeOf(result, Boolean(values['detailed-exitcode']));
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}

async function validateCommand(argv: string[]): Promise<number> {
  // --no-cache is bin/jitsi-fleet.js's (the verdict cache works around the CLI).
  const { values, positionals } = parse(argv, { ...common, output: { type: 'string' }, 'no-cache': { type: 'boolean' } });
  const json = values.output === 'json';
  if (values.output !== undefined && !['json', 'plain', 'auto', 'pretty'].includes(values.output as string)) throw new InputError(`--output must be auto, pretty, plain or json; got '${values.output}'`);
  const okFiles: { file: string; plays: number; unavailable?: unknown[] }[] = [];
  if (values.help) {
    console.log(HELP.validate);
    return 0;
  }
  if (positionals.length === 0) throw new InputError('name at least one playbook to validate');
  const inventory = withConfigDefaults(await loadInventory(inventoryPath(values.inventory)));
  const extraVars = await parseExtraVars((values['extra-vars'] as string[] | undefined) ?? []);
  const [{ loadPlaybook }, { catalog }, { checkUndefinedVariables }, { resolvePlayHosts, addsToInventory }] = await Promise.all([
    import('./playbook/load.ts'),
    import('./modules/index.ts'),
    import('./playbook/undefined.ts'),
    import('./engine/run.ts'),
  ]);
  // Every problem of every playbook, in one go.
  const problems: InputError[] = [];
  for (const file of positionals) {
    const found: InputError[] = [];
    let pb;
    try {
      pb = await loadPlaybook(file, { catalog, collect: found });
    } catch (e) {
      // A file that cannot be read or parsed at all: its one problem, then the next playbook.
      if (!(e instanceof InputError)) throw e;
      problems.push(e);
      continue;
    }
    const hosts = new Map<Play, string[]>();
    const adds = addsToInventory(pb.plays);
    for (const play of pb.plays) {
      try {
        hosts.set(play, resolvePlayHosts({ inventory, extraVars }, play, adds));
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        found.push(e);
      }
    }
    checkUndefinedVariables(pb, inventory, await loadVarsDirs(pb.dir), extraVars, { collect: found, hostsOf: (p) => hosts.get(p) ?? [] });
    if (found.length === 0 && !json) console.log(`ok: ${file} (${pb.plays.length} play${pb.plays.length === 1 ? '' : 's'})`);
    // Not problems: such a task fails the host only if it runs (a branch for another OS family, say).
    const unavailable = (pb.unavailable ?? []).map((e) => ({ file: e.location?.file, line: e.location?.line, column: e.location?.column, message: e.message, hint: e.hint }));
    if (!json) for (const u of unavailable) console.error(`note: ${u.file}:${u.line}:${u.column}: ${u.message}; this task fails the host if it runs (it is under a when, or in a file include_tasks loads)${u.hint ? `\n  hint: ${u.hint}` : ''}`);
    if (found.length === 0) okFiles.push({ file, plays: pb.plays.length, ...(unavailable.length ? { unavailable } : {}) });
    problems.push(...found);
  }
  if (problems.length) throw new InputErrors(problems);
  if (json) console.log(JSON.stringify({ ok: okFiles }, null, 2));
  return 0;
}

async function inventoryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...common, list: { type: 'boolean' }, host: { type: 'string' }, graph: { type: 'boolean' } });
  if (values.help) {
    console.log(HELP.inventory);
    return 0;
  }
  const inv = await loadInventory(inventoryPath(values.inventory));
  if (values.list) console.log(JSON.stringify(inventoryList(inv), null, 4));
  else if (values.host !== undefined) {
    if (!inv.hosts.has(values.host as string)) throw new InputError(`no host named '${values.host}' in the inventory`);
    console.log(JSON.stringify(inventoryHost(inv, values.host as string), null, 4));
  } else if (values.graph) console.log(inventoryGraph(inv, positionals[0] ?? 'all'));
  else throw new InputError('say what to show: --list, --host NAME or --graph', { hint: 'jitsi-fleet inventory --list' });
  return 0;
}

/** Exit code of a status: 4 a host unreachable, 5 a bridge not seen or not operational, else 0. */
function statusExitCode(s: { hosts: { reachable: boolean }[]; ok: boolean }): number {
  if (s.hosts.some((h) => !h.reachable)) return 4;
  return s.ok ? 0 : 5;
}

async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    inventory: { type: 'string', short: 'i' },
    limit: { type: 'string', short: 'l' },
    output: { type: 'string' },
    watch: { type: 'boolean', short: 'w' },
    interval: { type: 'string' },
    timeout: { type: 'string', short: 'T' },
    'ssh-config': { type: 'string', short: 'F' },
    'host-key-checking': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP.status);
    return 0;
  }
  const mode = (values.output as string | undefined) ?? 'auto';
  if (!['auto', 'pretty', 'plain', 'json'].includes(mode)) throw new InputError(`--output must be auto, pretty, plain or json; got '${mode}'`);
  const interval = values.interval === undefined ? 3 : Number(values.interval);
  if (!Number.isFinite(interval) || interval < 0.5) throw new InputError(`--interval must be a number of seconds (at least 0.5), got '${values.interval}'`);
  const ci = process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
  const chosen = mode === 'auto' ? (process.stdout.isTTY && !ci ? 'pretty' : 'plain') : mode;
  const inventory = withConfigDefaults(await loadInventory(inventoryPath(values.inventory)));
  const { fleetStatus, MAIN_GROUP, BRIDGE_GROUP } = await import('./fleet/status.ts');
  const render = await import('./fleet/status-render.ts');
  const { selectHosts } = await import('./inventory/pattern.ts');
  const names = values.limit ? selectHosts(inventory, values.limit as string) : [...inventory.hosts.keys()];
  if (names.length === 0) throw new InputError(values.limit ? `no host of the inventory matches '${values.limit}'` : 'the inventory has no hosts', { hint: `groups: ${MAIN_GROUP} (main servers), ${BRIDGE_GROUP} (bridges)` });
  const mains = new Set(inventory.groups.has(MAIN_GROUP) ? selectHosts(inventory, MAIN_GROUP) : []);
  const bridges = new Set(inventory.groups.has(BRIDGE_GROUP) ? selectHosts(inventory, BRIDGE_GROUP) : []);
  const { connectionFactory } = await import('./connection/factory.ts');
  const connectionFor = connectionFactory({
    configFile: values['ssh-config'] as string | undefined,
    hostKeyChecking: parseHostKeyChecking(values['host-key-checking']),
    connectTimeoutMs: values.timeout === undefined ? undefined : Number(values.timeout) * 1000,
    user: ansibleConfig()?.remoteUser,
  });
  const hosts = names.map((name) => {
    const vars = inventory.hostVars(name);
    const lookup = (n: string) => vars[n];
    return { name, groups: [...(mains.has(name) ? [MAIN_GROUP] : []), ...(bridges.has(name) ? [BRIDGE_GROUP] : [])], vars: lookup, connection: connectionFor(name, lookup) };
  });
  const colour = chosen === 'pretty' && !process.env.NO_COLOR;
  const show = (s: Awaited<ReturnType<typeof fleetStatus>>, code: number) =>
    chosen === 'json' ? render.statusJson(s, code) : chosen === 'pretty' ? render.statusTable(s, colour) : render.statusLines(s);
  let stop = false;
  let wake: (() => void) | undefined;
  const onSigint = () => {
    stop = true;
    wake?.();
  };
  if (values.watch) process.on('SIGINT', onSigint);
  try {
    for (;;) {
      const s = await fleetStatus(hosts);
      const code = statusExitCode(s);
      const text = show(s, code);
      if (values.watch && chosen === 'pretty') process.stdout.write(`\x1b[H\x1b[2J${text}\nrefreshing every ${interval} s; Ctrl-C ends\n`);
      else process.stdout.write(text + (values.watch && chosen === 'plain' ? '\n' : ''));
      if (!values.watch) return code;
      await new Promise<void>((res) => {
        wake = res;
        setTimeout(res, interval * 1000);
      });
      if (stop) return 130;
    }
  } finally {
    process.off('SIGINT', onSigint);
    await Promise.all(hosts.map((h) => h.connection.close().catch(() => undefined)));
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const json = argv.some((a, i) => a === '--output=json' || (a === '--output' && argv[i + 1] === 'json'));
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, false);
      case 'check':
        return await runCommand(rest, true);
      case 'validate':
        return await validateCommand(rest);
      case 'inventory':
        return await inventoryCommand(rest);
      case 'status':
        return await statusCommand(rest);
      case '__persist': {
        // The background process that keeps SSH connections between runs (connection/persist.ts); runs start it.
        const { persistDaemon } = await import('./connection/persist.ts');
        return await persistDaemon(rest[0], Number(rest[1]));
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(HELP.main);
        return command === undefined ? 1 : 0;
      case '--version':
      case '-V': {
        const pkg = JSON.parse(await readFile(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
        console.log(`jitsi-fleet ${pkg.version}`);
        return 0;
      }
      default:
        throw new InputError(`unknown command '${command}'`, { hint: 'commands: run, check, validate, inventory, status (see --help)' });
    }
  } catch (e) {
    return reportError(e, json);
  }
}

/** One problem as the JSON report shows it. */
function problemJson(e: FleetError): Record<string, unknown> {
  return {
    kind: e.kind,
    message: e instanceof InternalError ? e.describe() : e.message,
    ...(e.location ? { file: e.location.file, line: e.location.line, column: e.location.column } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
  };
}

/**
 * Prints an error for a person (no stack trace) and returns its exit code.
 * With --output json, one JSON document on stdout says the same.
 */
export function reportError(e: unknown, json = false): number {
  const fleet = isFleetError(e) ? e : new InternalError(messageOf(e), { cause: e });
  const code = fleet.kind === 'internal' ? 70 : fleet.kind === 'connection' ? 4 : fleet.kind === 'task' ? 2 : 1;
  if (json) {
    const problems = fleet instanceof InputErrors ? fleet.problems : [fleet];
    process.stdout.write(JSON.stringify({ error: { ...problemJson(problems[0]), exit_code: code, problems: problems.map(problemJson) } }, null, 2) + '\n');
  }
  if (isFleetError(e) && e.kind !== 'internal') {
    process.stderr.write(`ERROR: ${e.describe({ excerpt: true })}\n`);
    return e.kind === 'connection' ? 4 : e.kind === 'task' ? 2 : 1;
  }
  const internal = e instanceof InternalError ? e : new InternalError(messageOf(e), { cause: e });
  process.stderr.write(`ERROR: ${internal.describe()}\n`);
  if (process.env.JITSI_FLEET_DEBUG) process.stderr.write(`${(internal.cause as Error | undefined)?.stack ?? internal.stack}\n`);
  return 70;
}
