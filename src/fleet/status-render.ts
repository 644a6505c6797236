/**
 * The fleet status for a person: a table in a terminal (colour for what
 * needs a look), one line per host in CI, one JSON document with --output json.
 */
import type { FleetStatus, HostStatus } from './status.ts';
import { printable as escapeControl } from '../util/printable.ts';

const SHORT: Record<string, string> = { 'jitsi-videobridge2': 'jvb2', 'jitsi-videobridge': 'jvb', 'jitsi-meet-prosody': 'jm-prosody', 'jitsi-meet-web': 'jm-web' };
const short = (p: string) => SHORT[p] ?? p;

type Tone = 'ok' | 'warn' | 'bad' | 'dim' | undefined;

function paint(tone: Tone, s: string, colour: boolean): string {
  if (!colour || !tone) return s;
  const code = { ok: 32, warn: 33, bad: 31, dim: 2 }[tone];
  return `\x1b[${code}m${s}\x1b[0m`;
}

const ROLE = { main: 'main', bridge: 'bridge', other: 'other' };
const ROLE_LONG = { main: 'main server', bridge: 'bridge', other: 'other' };

function packagesOf(h: HostStatus): string {
  const entries = Object.entries(h.packages).filter(([p]) => p !== 'prosody' || h.role === 'main');
  return entries.length ? entries.map(([p, v]) => `${short(p)} ${v}`).join(', ') : 'no Jitsi package';
}

/** The services that matter for the host's role (a bridge's image may carry an idle prosody). */
function servicesOf(h: HostStatus): { text: string; tone: Tone } {
  const shown = Object.entries(h.services).filter(([s]) => h.role === 'main' || s.startsWith('jitsi-videobridge'));
  const parts = shown.map(([s, st]) => `${short(s)} ${st === 'active' ? 'up' : 'down'}`);
  const down = shown.some(([, s]) => s !== 'active');
  return { text: parts.join(', ') || '-', tone: down ? 'bad' : undefined };
}

function jicofoOf(h: HostStatus): { text: string; tone: Tone } {
  const j = h.jicofo;
  if (!j) return { text: '', tone: undefined };
  if (h.generation === 'legacy') return { text: 'legacy: no bridge list', tone: 'dim' };
  if (j.rest.state === 'on') {
    const op = j.bridges.filter((b) => b.operational).length;
    return { text: `sees ${j.bridges.length} bridge${j.bridges.length === 1 ? '' : 's'} (${op} operational)`, tone: op < j.bridges.length ? 'warn' : undefined };
  }
  if (j.rest.state === 'down') return { text: `REST down: ${j.rest.why}`, tone: 'bad' };
  if (j.rest.state === 'off') return { text: `REST off: ${j.rest.setting}`, tone: 'warn' };
  return { text: '-', tone: undefined };
}

function bridgeOf(h: HostStatus, multipleMains: boolean): { text: string; tone: Tone } {
  const b = h.bridge;
  if (!b) return { text: h.removed ? 'removed' : '', tone: h.removed ? 'dim' : undefined };
  const where = multipleMains && b.seenBy.length ? ` (${b.seenBy.map((v) => `${v.main}: ${v.bridge ? (v.bridge.operational ? 'ok' : 'not operational') : v.unknown ? '?' : 'not seen'}`).join(', ')})` : '';
  const tone: Tone = b.ok ? (['draining', 'graceful shutdown', 'shutting down', 'removed'].includes(b.state) ? 'warn' : 'ok') : 'bad';
  return { text: b.state + where, tone };
}

function numbers(h: HostStatus): { participants: string; stress: string } {
  const b = h.bridge;
  if (!b) return { participants: '', stress: '' };
  const seen = b.seenBy.find((v) => v.bridge)?.bridge;
  if (b.stats) return { participants: String(b.stats.participants), stress: b.stats.stress_level.toFixed(2) };
  if (seen) return { participants: `${seen.endpoints}*`, stress: seen.stress.toFixed(2) };
  return { participants: '-', stress: '-' };
}

/** Notes below the table: REST interfaces switched off, forgotten bridges, problems. */
function notes(s: FleetStatus): { text: string; tone: Tone }[] {
  const out: { text: string; tone: Tone }[] = [];
  for (const h of s.hosts) {
    if (h.bridge?.rest.state === 'off' && h.generation === 'brewery') {
      out.push({ text: `${h.name}: the bridge's REST interface is off (set ${h.bridge.rest.setting}); participants (*) as jicofo counts them`, tone: 'dim' });
    }
  }
  for (const u of s.unlisted) {
    out.push({ text: `${u.main}: jicofo sees a bridge the inventory does not list: ${u.nickname} (${u.operational ? 'operational' : 'not operational'}, version ${u.version ?? 'unknown'}, ${u.endpoints} participants)`, tone: 'warn' });
  }
  for (const p of s.problems) out.push({ text: `problem: ${p}`, tone: 'bad' });
  return out;
}

function verdict(s: FleetStatus): { text: string; tone: Tone } {
  const bridges = s.hosts.filter((h) => h.bridge && !h.removed);
  if (s.ok) return { text: `all ${bridges.length} bridge${bridges.length === 1 ? '' : 's'} seen and operational (${(s.elapsed_ms / 1000).toFixed(1)} s)`, tone: 'ok' };
  return { text: `${s.problems.length} problem${s.problems.length === 1 ? '' : 's'} (${(s.elapsed_ms / 1000).toFixed(1)} s)`, tone: 'bad' };
}

/** The table a terminal shows. */
export function statusTable(s: FleetStatus, colour: boolean): string {
  const multipleMains = s.hosts.filter((h) => h.role === 'main').length > 1;
  const head = ['HOST', 'ROLE', 'GEN', 'PACKAGES', 'SERVICES', 'JICOFO', 'BRIDGE', 'PARTIC.', 'STRESS'];
  const rows: { text: string; tone: Tone }[][] = s.hosts.map((h) => {
    if (!h.reachable) return [{ text: h.name, tone: undefined }, { text: ROLE[h.role], tone: undefined }, { text: `unreachable: ${h.error}`, tone: 'bad' }];
    const n = numbers(h);
    return [
      { text: h.name, tone: undefined },
      { text: ROLE[h.role], tone: undefined },
      { text: h.generation, tone: undefined },
      { text: packagesOf(h), tone: undefined },
      servicesOf(h),
      jicofoOf(h),
      bridgeOf(h, multipleMains),
      { text: n.participants, tone: undefined },
      { text: n.stress, tone: undefined },
    ].map((c) => ({ ...c, text: escapeControl(c.text) }));
  });
  const widths = head.map((t, i) => Math.max(t.length, ...rows.filter((r) => r.length === head.length).map((r) => r[i].text.length)));
  // Wider than the terminal: the package list gives way (cut with …), the rest stays whole.
  const columns = process.stdout.columns || 0;
  const total = widths.reduce((a, w) => a + w + 2, -2);
  if (columns && total > columns) {
    const pk = head.indexOf('PACKAGES');
    const room = Math.max(head[pk].length, widths[pk] - (total - columns));
    for (const r of rows) if (r.length === head.length && r[pk].text.length > room) r[pk] = { ...r[pk], text: r[pk].text.slice(0, room - 1) + '…' };
    widths[pk] = room;
  }
  const line = (cells: { text: string; tone: Tone }[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? paint(c.tone, c.text, colour) : paint(c.tone, c.text.padEnd(widths[i]), colour)))
      .join('  ')
      .trimEnd();
  const out = [paint('dim', `jitsi-fleet status · ${s.hosts.length} hosts · ${s.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`, colour), line(head.map((t) => ({ text: t, tone: undefined }))), ...rows.map(line)];
  const extra = notes(s);
  if (extra.length) out.push('', ...extra.map((n) => paint(n.tone, escapeControl(n.text), colour)));
  const v = verdict(s);
  out.push('', paint(v.tone, v.text, colour));
  return out.join('\n') + '\n';
}

/** One line per host, for CI logs. */
export function statusLines(s: FleetStatus): string {
  const multipleMains = s.hosts.filter((h) => h.role === 'main').length > 1;
  const out = s.hosts.map((h) => {
    if (!h.reachable) return `${h.name}: ${ROLE_LONG[h.role]}, unreachable: ${h.error}`;
    const n = numbers(h);
    const parts = [ROLE_LONG[h.role], h.generation, packagesOf(h), servicesOf(h).text];
    const j = jicofoOf(h).text;
    if (j) parts.push(`jicofo ${j}`);
    const b = bridgeOf(h, multipleMains).text;
    if (b) parts.push(`bridge ${b}`);
    if (n.participants) parts.push(`participants ${n.participants}`, `stress ${n.stress}`);
    return escapeControl(`${h.name}: ${parts.join('; ')}`);
  });
  return [...out, ...notes(s).map((n) => escapeControl(n.text)), verdict(s).text].join('\n') + '\n';
}

/** The JSON document (--output json). */
export function statusJson(s: FleetStatus, exitCode: number): string {
  return JSON.stringify({ ...s, exit_code: exitCode }, null, 2) + '\n';
}
