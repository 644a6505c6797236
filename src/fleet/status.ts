/**
 * `jitsi-fleet status`: what the fleet is doing now, read from every host of
 * the inventory in one command per host over its one connection: installed
 * Jitsi packages, service states, the bridge's jvb.conf entries (parsed here;
 * the file never leaves this process), and the local REST interfaces (jicofo
 * on 127.0.0.1:8888, the bridge's private one on 127.0.0.1:8080), read on the
 * host itself with bash's /dev/tcp: no port opened to the network, no
 * package needed on the host.
 *
 * Each bridge of the inventory is matched to jicofo's view by its brewery
 * room and nickname (`/debug` lists one entry per bridge); entries no
 * inventory host accounts for are reported as bridges the inventory forgot.
 */
import { leafValues } from '../hocon/edit.ts';
import { messageOf } from '../errors.ts';
import type { Connection } from '../connection/types.ts';
import type { Lookup } from '../util/lookup.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { parseHttpAnswer } from '../util/http.ts';

export const MAIN_GROUP = 'jitsi_meet';
export const BRIDGE_GROUP = 'jitsi_bridges';

const PACKAGES = ['jitsi-videobridge2', 'jitsi-videobridge', 'jicofo', 'prosody', 'jitsi-meet-prosody', 'jitsi-meet-web'];
const SERVICES = ['jitsi-videobridge2', 'jitsi-videobridge', 'jicofo', 'prosody'];
const JVB_CONF = '/etc/jitsi/videobridge/jvb.conf';
const JICOFO_CONF = '/etc/jitsi/jicofo/jicofo.conf';

/** One local HTTP GET on the host, bounded in time; prints `refused` when nothing listens. */
const HTTP_GET = `jf_get() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 || exit 7; printf "GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" "$1" >&3; cat <&3' "$1" "$2" 2>/dev/null || echo "jf-http-failed $?"; }`;

/** The one command a host runs for the report: sections behind `@@jf:NAME` lines. */
export function statusScript(): string {
  const section = (name: string) => `printf '\\n@@jf:%s\\n' '${name}'`;
  return [
    HTTP_GET,
    section('packages'),
    `dpkg-query -W -f='\${Package}\\t\${Version}\\t\${db:Status-Status}\\n' ${PACKAGES.join(' ')} 2>/dev/null`,
    section('services'),
    `for s in ${SERVICES.join(' ')}; do`,
    '  if [ -d /run/systemd/system ]; then st=$(systemctl is-active "$s" 2>/dev/null); [ -n "$st" ] || st=unknown; systemctl cat "$s" >/dev/null 2>&1 || st=absent;',
    '  elif [ -x "/etc/init.d/$s" ]; then if service "$s" status >/dev/null 2>&1; then st=active; else st=inactive; fi;',
    '  else st=absent; fi; printf "%s\\t%s\\n" "$s" "$st"; done',
    section('jvb.conf'),
    `cat ${JVB_CONF} 2>/dev/null`,
    section('jicofo.conf-brewery'),
    `grep -o 'brewery-jid *[:=] *"[^"]*"' ${JICOFO_CONF} 2>/dev/null`,
    section('jicofo-debug'),
    `if [ -f ${JICOFO_CONF} ]; then jf_get 8888 /debug; fi`,
    section('jvb-stats'),
    `if [ -f ${JVB_CONF} ]; then jf_get 8080 /colibri/stats; fi`,
    section('jvb-health'),
    `if [ -f ${JVB_CONF} ]; then jf_get 8080 /about/health; fi`,
    section('end'),
    'true',
  ].join('\n');
}

/** A bridge as jicofo's /debug lists it. */
export interface JicofoBridge {
  key: string;
  room: string;
  nickname: string;
  operational: boolean;
  drain: boolean;
  graceful_shutdown: boolean;
  shutting_down: boolean;
  healthy: boolean;
  stress: number;
  endpoints: number;
  version: string | null;
}

/** A bridge's own view (its /colibri/stats). */
export interface BridgeStats {
  participants: number;
  conferences: number;
  stress_level: number;
  graceful_shutdown: boolean;
  shutting_down: boolean;
  drain: boolean;
  version: string | null;
}

/** A local REST interface: read, switched off (with the setting that switches it on), or not answering. */
export type RestState = { state: 'on' } | { state: 'off'; setting: string } | { state: 'down'; why: string } | { state: 'absent' };

/** One xmpp-client entry of jvb.conf (no password: it is never kept). */
export interface XmppEntry {
  name: string;
  hostname: string;
  room: string;
  nickname: string;
}

export interface BridgeView {
  /** The jvb.conf entries: which brewery, under which nickname. */
  entries: XmppEntry[];
  rest: RestState;
  stats?: BridgeStats;
  /** What each main server's jicofo says of this bridge (one per entry). */
  seenBy: { main: string; room: string; nickname: string; bridge?: JicofoBridge; unknown?: string }[];
  /** operational, draining, graceful shutdown, shutting down, not operational, not seen, stopped, removed. */
  state: string;
  ok: boolean;
}

export interface HostStatus {
  name: string;
  address: string;
  role: 'main' | 'bridge' | 'other';
  reachable: boolean;
  error?: string;
  generation: 'brewery' | 'legacy' | 'none';
  packages: Record<string, string>;
  services: Record<string, string>;
  /** Main servers: jicofo's REST and its bridges. */
  jicofo?: { rest: RestState; room?: string; bridges: JicofoBridge[] };
  /** Hosts running a bridge (bridges, and a main server's own bridge). */
  bridge?: BridgeView;
  /** jvb_state absent in the inventory: the bridge is meant to be gone. */
  removed?: boolean;
}

export interface FleetStatus {
  at: string;
  hosts: HostStatus[];
  /** Bridges jicofo sees that no inventory host accounts for. */
  unlisted: (JicofoBridge & { main: string })[];
  problems: string[];
  ok: boolean;
  elapsed_ms: number;
}

/** What `status` needs of a host: its connection and inventory variables. */
export interface StatusHost {
  name: string;
  groups: string[];
  vars: Lookup;
  connection: Connection;
}

function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = ('\n' + stdout).split(/\n@@jf:([^\n]*)\n/);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i], parts[i + 1]);
  return out;
}

/** An HTTP/1.0 answer as the host printed it: status and body, or why there was none. */
export function parseHttp(raw: string | undefined): { status: number; body: string } | { error: string } {
  if (raw === undefined || raw === '') return { error: 'no answer' };
  const failed = /^jf-http-failed (\d+)/m.exec(raw);
  if (failed && !raw.startsWith('HTTP/')) return { error: failed[1] === '124' ? 'no answer within 3 s' : 'connection refused' };
  const answer = parseHttpAnswer(raw.replace(/\njf-http-failed \d+\n?$/, ''));
  if (!answer) return { error: 'not an HTTP answer' };
  return { status: answer.status, body: answer.body };
}

const bool = (v: unknown) => v === true || v === 'true';

export function parseDebug(body: string): JicofoBridge[] {
  const doc = JSON.parse(body) as { bridge_selector?: { bridge?: Record<string, Record<string, unknown>> } };
  return Object.entries(doc.bridge_selector?.bridge ?? {}).map(([key, b]) => {
    const slash = key.lastIndexOf('/');
    const version = b.version === undefined || b.version === 'null' ? null : String(b.version);
    return {
      key,
      room: key.slice(0, slash).toLowerCase(),
      nickname: key.slice(slash + 1),
      operational: bool(b.operational),
      drain: bool(b.drain),
      graceful_shutdown: bool(b['graceful-shutdown']),
      shutting_down: bool(b['shutting-down']),
      healthy: bool(b.healthy),
      stress: Number(b.stress ?? 0),
      endpoints: Number(b.endpoints ?? 0),
      version,
    };
  });
}

/** jvb.conf's xmpp-client entries (key names are not case-sensitive; incomplete ones are dropped, as the bridge drops them). */
export function xmppEntries(conf: string): XmppEntry[] {
  const byName = new Map<string, Record<string, string>>();
  const prefix = ['videobridge', 'apis', 'xmpp-client', 'configs'];
  for (const { path, text } of leafValues(conf).values()) {
    if (path.length !== prefix.length + 2 || !prefix.every((p, i) => path[i] === p)) continue;
    const e = byName.get(path[prefix.length]) ?? {};
    e[path[prefix.length + 1].toUpperCase()] = text;
    byName.set(path[prefix.length], e);
  }
  return [...byName]
    .filter(([, e]) => ['HOSTNAME', 'USERNAME', 'PASSWORD', 'MUC_JIDS', 'MUC_NICKNAME'].every((k) => k in e))
    .flatMap(([name, e]) => e.MUC_JIDS.split(',').map((room) => ({ name, hostname: e.HOSTNAME, room: room.trim().toLowerCase(), nickname: e.MUC_NICKNAME })));
}

function restState(raw: string | undefined, setting: string): { rest: RestState; body?: string } {
  if (raw === undefined) return { rest: { state: 'absent' } };
  const r = parseHttp(raw);
  if ('error' in r) return { rest: { state: 'down', why: r.error } };
  if (r.status === 404) return { rest: { state: 'off', setting } };
  if (r.status !== 200) return { rest: { state: 'down', why: `HTTP ${r.status}` } };
  return { rest: { state: 'on' }, body: r.body };
}

function parseStats(body: string): BridgeStats {
  const s = JSON.parse(body) as Record<string, unknown>;
  return {
    participants: Number(s.participants ?? 0) - Number(s.octo_endpoints ?? 0),
    conferences: Number(s.conferences ?? 0),
    stress_level: Number(s.stress_level ?? 0),
    graceful_shutdown: bool(s.graceful_shutdown),
    shutting_down: bool(s.shutting_down),
    drain: bool(s.drain),
    version: s.version === undefined || s.version === 'null' ? null : String(s.version),
  };
}

/** One host's raw report: what its one command printed, read into a HostStatus (without jicofo's judgement yet). */
export function readHost(h: StatusHost, stdout: string): HostStatus {
  const s = sections(stdout);
  const packages: Record<string, string> = {};
  for (const line of (s.get('packages') ?? '').split('\n')) {
    const [name, version, state] = line.split('\t');
    if (name && state === 'installed') packages[name] = version;
  }
  const services: Record<string, string> = {};
  for (const line of (s.get('services') ?? '').split('\n')) {
    const [name, state] = line.split('\t');
    if (name && state !== 'absent') services[name] = state;
  }
  const brewery = /"([^"]+)"/.exec(s.get('jicofo.conf-brewery') ?? '')?.[1];
  const generation = packages['jitsi-videobridge2'] || brewery ? 'brewery' : packages['jitsi-videobridge'] ? 'legacy' : 'none';
  const role = h.groups.includes(MAIN_GROUP) ? 'main' : h.groups.includes(BRIDGE_GROUP) ? 'bridge' : 'other';
  const host: HostStatus = { name: h.name, address: String(h.vars('ansible_host') ?? h.name), role, reachable: true, generation, packages, services };
  if (String(h.vars('jvb_state') ?? 'present') === 'absent') host.removed = true;
  if (packages.jicofo !== undefined || s.get('jicofo-debug')) {
    const { rest, body } = restState(s.get('jicofo-debug'), 'jicofo.rest (on by default; is jicofo running?)');
    let bridges: JicofoBridge[] = [];
    let state = rest;
    if (body !== undefined) {
      try {
        bridges = parseDebug(body);
      } catch (e) {
        state = { state: 'down', why: `/debug is not the JSON expected: ${messageOf(e)}` };
      }
    }
    host.jicofo = { rest: state, room: brewery?.toLowerCase(), bridges };
  }
  const conf = s.get('jvb.conf');
  if (packages['jitsi-videobridge2'] !== undefined || packages['jitsi-videobridge'] !== undefined || (conf !== undefined && conf !== '')) {
    let entries: XmppEntry[] = [];
    try {
      entries = conf ? xmppEntries(conf) : [];
    } catch {
      entries = [];
    }
    const { rest, body } = restState(s.get('jvb-stats'), 'videobridge.apis.rest.enabled = true in jvb.conf');
    host.bridge = { entries, rest, seenBy: [], state: '', ok: false };
    if (body !== undefined) {
      try {
        host.bridge.stats = parseStats(body);
      } catch {
        host.bridge.rest = { state: 'down', why: '/colibri/stats is not the JSON expected' };
      }
    }
  }
  return host;
}

const isLocal = (hostname: string) => ['localhost', '127.0.0.1', '::1'].includes(hostname.toLowerCase());

/** Matches bridges to jicofo's view, names forgotten bridges, decides what is a problem. */
export function judge(hosts: HostStatus[]): Pick<FleetStatus, 'unlisted' | 'problems' | 'ok'> {
  const mains = hosts.filter((h) => h.role === 'main');
  const problems: string[] = [];
  const accounted = new Set<string>();
  for (const h of hosts) {
    if (!h.reachable) {
      problems.push(`${h.name}: unreachable: ${h.error}`);
      continue;
    }
    const b = h.bridge;
    if (!b) {
      if (h.role === 'bridge' && !h.removed) problems.push(`${h.name}: no videobridge installed`);
      continue;
    }
    const running = (h.services['jitsi-videobridge2'] ?? h.services['jitsi-videobridge']) === 'active';
    if (h.generation === 'legacy') {
      b.state = h.removed ? (running ? 'removed, still running' : 'removed') : running ? 'running' : 'stopped';
      b.ok = h.removed ? !running : running;
      if (!b.ok) problems.push(`${h.name}: ${h.removed ? 'marked jvb_state: absent but its videobridge still runs' : 'the videobridge service is not running'}`);
      continue;
    }
    for (const e of b.entries) {
      // Which main server the entry logs in to: its address, or the bridge's own host for localhost.
      const main = isLocal(e.hostname) ? hosts.find((m) => m.name === h.name && m.role === 'main') : mains.find((m) => m.address === e.hostname || m.name === e.hostname);
      if (!main) {
        b.seenBy.push({ main: e.hostname, room: e.room, nickname: e.nickname, unknown: `${e.hostname} is not a main server of the inventory` });
        continue;
      }
      if (!main.reachable || !main.jicofo || main.jicofo.rest.state !== 'on') {
        b.seenBy.push({ main: main.name, room: e.room, nickname: e.nickname, unknown: !main.reachable ? 'unreachable' : main.jicofo?.rest.state === 'down' ? `jicofo's REST did not answer (${main.jicofo.rest.why})` : "no jicofo REST" });
        continue;
      }
      const seen = main.jicofo.bridges.find((x) => x.room === e.room && x.nickname === e.nickname);
      if (seen) accounted.add(`${main.name}\0${seen.key}`);
      b.seenBy.push({ main: main.name, room: e.room, nickname: e.nickname, bridge: seen });
    }
    const views = b.seenBy.map((v) => v.bridge);
    const st = b.stats;
    if (h.removed) {
      b.state = views.some(Boolean) ? 'still in the brewery' : running ? 'removed, still running' : 'removed';
      b.ok = !views.some(Boolean);
      if (!b.ok) problems.push(`${h.name}: marked jvb_state: absent but jicofo still sees it`);
      continue;
    }
    if (!running) b.state = 'stopped';
    else if (b.entries.length === 0) b.state = 'no brewery entry in jvb.conf';
    else if (views.some((v) => v === undefined) && b.seenBy.every((v) => v.unknown === undefined)) b.state = 'not seen';
    else if (views.some((v) => v?.shutting_down) || st?.shutting_down) b.state = 'shutting down';
    else if (views.some((v) => v?.graceful_shutdown) || st?.graceful_shutdown) b.state = 'graceful shutdown';
    else if (views.some((v) => v && !v.operational)) b.state = 'not operational';
    else if (views.some((v) => v?.drain) || st?.drain) b.state = 'draining';
    else if (b.seenBy.some((v) => v.unknown)) b.state = 'unknown';
    else b.state = 'operational';
    b.ok = running && b.entries.length > 0 && b.seenBy.every((v) => v.bridge?.operational === true);
    if (!b.ok) {
      const why = !running ? 'its service is not running' : b.state === 'not seen' ? `jicofo on ${b.seenBy.filter((v) => !v.bridge).map((v) => v.main).join(', ')} does not see it` : b.seenBy.find((v) => v.unknown)?.unknown ?? b.state;
      problems.push(`${h.name}: ${why}`);
    }
  }
  const unlisted: FleetStatus['unlisted'] = [];
  for (const m of mains) {
    for (const x of m.jicofo?.bridges ?? []) if (!accounted.has(`${m.name}\0${x.key}`)) unlisted.push({ ...x, main: m.name });
  }
  return { unlisted, problems, ok: problems.length === 0 };
}

/** Reads every host (in parallel, one command each) and judges the fleet. */
export async function fleetStatus(hosts: StatusHost[]): Promise<FleetStatus> {
  const started = Date.now();
  const script = statusScript();
  const read = await Promise.all(
    hosts.map(async (h): Promise<HostStatus> => {
      try {
        await h.connection.connect();
        const user = h.connection.user;
        const become = user === 'root' ? undefined : { user: 'root', password: h.vars('ansible_become_password') as string | undefined };
        const r = await h.connection.exec(`exec bash -c ${shellQuote(script)}`, { become });
        return readHost(h, r.stdout);
      } catch (e) {
        const role = h.groups.includes(MAIN_GROUP) ? 'main' : h.groups.includes(BRIDGE_GROUP) ? 'bridge' : 'other';
        return { name: h.name, address: String(h.vars('ansible_host') ?? h.name), role, reachable: false, error: messageOf(e).replace(new RegExp(`^${h.name}: `), ''), generation: 'none', packages: {}, services: {} };
      }
    }),
  );
  return { at: new Date().toISOString(), hosts: read, ...judge(read), elapsed_ms: Date.now() - started };
}
