/** The module registry: short names and their `ansible.builtin.` forms. */
import { apt } from './apt.ts';
import { aptRepository } from './apt-repository.ts';
import { blockinfile } from './blockinfile.ts';
import { debconf } from './debconf.ts';
import { getUrl } from './get-url.ts';
import { hocon } from './hocon.ts';
import { service } from './service.ts';
import { ufw } from './ufw.ts';
import { command, shell } from './command.ts';
import { assert, debug, fail, pause, ping, setFact } from './controller.ts';
import { addHost, groupBy } from './inventory-edits.ts';
import { find } from './find.ts';
import { packageModule } from './package.ts';
import { copy } from './copy.ts';
import { lineinfile } from './lineinfile.ts';
import { meta } from './meta.ts';
import { slurp } from './slurp.ts';
import { stat } from './stat.ts';
import { template } from './template.ts';
import { uri } from './uri.ts';
import { file } from './file.ts';
import { waitFor } from './wait-for.ts';
import { systemd } from './systemd.ts';
import { includeVars } from './include-vars.ts';
import { replace } from './replace.ts';
import { group, user } from './user.ts';
import { getent, script, tempfile } from './script.ts';
import { timezone } from './timezone.ts';
import { MODULE_NAME, type ModuleCatalog, type ModuleDef } from './types.ts';
import { actionPlugin, ansibleModule, ansiblePython, pythonModule, resolveAnsibleModules } from './python-module.ts';

const all: ModuleDef<any>[] = [lineinfile, blockinfile, copy, template, command, shell, slurp, stat, setFact, debug, assert, fail, meta, getUrl, aptRepository, apt, debconf, service, ufw, hocon, uri, file, waitFor, packageModule, pause, systemd, includeVars, replace, ping, user, group, script, getent, tempfile, groupBy, addHost, find, timezone];

const registry = new Map<string, ModuleDef<any>>();
for (const m of all) {
  registry.set(m.name, m);
  registry.set(`ansible.builtin.${m.name}`, m);
  registry.set(`ansible.legacy.${m.name}`, m);
}
registry.set('community.general.ufw', ufw);
registry.set('community.general.timezone', timezone);
registry.set('systemd_service', systemd);
registry.set('ansible.builtin.systemd_service', systemd);

export function findModule(name: string): ModuleDef<any> | undefined {
  return registry.get(name);
}

export function moduleNames(): string[] {
  return [...registry.keys()];
}

/** Well-known Ansible modules we do not support yet: named in the error instead of "unknown". */
export const KNOWN_UNSUPPORTED = new Set([
  'apt_key',
  'yum', 'dnf', 'pip', 'git', 'unarchive', 'fetch', 'raw', 'cron',
  'setup',
  'hostname', 'mount', 'sysctl', 'archive', 'synchronize', 'reboot',
].flatMap((n) => [n, `ansible.builtin.${n}`]));

const shortNames = () => [...new Set(moduleNames().filter((n) => !n.includes('.')))].join(', ');

/**
 * Action plugins of Ansible's that need more of ansible-playbook than a connection to the host (which is
 * all an action plugin gets from jitsi-fleet), and why; the others run (modules/python-module.ts).
 */
const ACTIONS_NOT_RUN: Record<string, { why: string; hint: string }> = {
  reboot: {
    why: "reconnects through Ansible's own connection while the host restarts",
    hint: 'restart with command (systemctl reboot, async: 1 with poll: 0), then wait_for port 22 with delegate_to: localhost; or run this playbook with ansible-playbook',
  },
  wait_for_connection: { why: "reconnects through Ansible's own connection", hint: 'wait_for port 22 with delegate_to: localhost' },
  'ansible.posix.synchronize': { why: "runs rsync on the controller with Ansible's ssh settings", hint: 'copy (a folder, from the controller or with remote_src), or command: rsync' },
  async_status: { why: "reads the job files Ansible's async tasks leave, which jitsi-fleet's async tasks do not", hint: 'let the async task poll (poll > 0)' },
  set_stats: { why: "sets ansible-playbook's custom statistics, which jitsi-fleet does not keep", hint: 'set_fact, or debug to show a value' },
  gather_facts: { why: 'is what jitsi-fleet does itself', hint: 'gather_facts: true on the play' },
};

/** Ansible modules we refuse with a replacement of their own. */
const REPLACED: Record<string, { message: string; hint: string }> = {
  ...Object.fromEntries(['yum', 'dnf'].map((n) => [n, { message: `module '${n}' is not supported: jitsi-fleet manages Debian and Ubuntu hosts`, hint: 'package (it runs apt there) or apt' }])),
  apt_key: {
    message: 'apt_key is deprecated and gone in Debian 13',
    hint: 'download the key with get_url to /usr/share/keyrings/NAME.asc and name it in apt_repository with [signed-by=...]',
  },
};

/** The catalog the CLI hands the playbook loader. */
export const catalog: ModuleCatalog = {
  find: findModule,
  names: moduleNames,
  refused(name) {
    const short = name.replace(/^ansible\.(builtin|legacy)\./, '');
    if (REPLACED[short]) return REPLACED[short];
    if (KNOWN_UNSUPPORTED.has(name)) return { message: `module '${name}' is not supported by jitsi-fleet yet`, hint: `with ansible-core on this machine, Ansible's modules (and their action plugins) run through it; else command/shell; supported modules: ${shortNames()}` };
    return undefined;
  },
  project(name, file, utils) {
    const packer = ansiblePython();
    return packer.problem ? { problem: packer.problem } : pythonModule(name, file, utils);
  },
  projectAction(name, dirs) {
    const packer = ansiblePython();
    return packer.problem ? { problem: packer.problem } : actionPlugin(name, name, dirs);
  },
  prefetch: resolveAnsibleModules,
  ansible(name) {
    // Ours to refuse with a better way (apt_key), or a clash with what jitsi-fleet does itself (setup: gather_facts).
    const short = name.replace(/^ansible\.(builtin|legacy)\./, '');
    if (REPLACED[short] || short === 'setup' || !MODULE_NAME.test(name)) return undefined;
    const found = ansibleModule(name);
    if (!found) return undefined;
    if (found.action) {
      const not = ACTIONS_NOT_RUN[found.action.replace(/^ansible\.(builtin|legacy)\./, '')];
      if (not) return { problem: `module '${name}' is not supported: its action plugin (${found.fqcn}) ${not.why}`, hint: not.hint };
      return actionPlugin(name, found.action, { library: [], actions: [], utils: [] });
    }
    return pythonModule(name, found.path, []);
  },
};
