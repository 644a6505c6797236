/** The closing recap, one line per host, as ansible-playbook prints it. */
import type { HostStats } from '../events/events.ts';

export function recapLines(stats: Record<string, HostStats>, color = false): string[] {
  const names = Object.keys(stats);
  const width = Math.max(0, ...names.map((n) => n.length));
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return names.map((n) => {
    const s = stats[n];
    const code = s.unreachable || s.failed ? 31 : s.changed ? 33 : 32;
    return `${paint(code, n.padEnd(width))} : ok=${s.ok} changed=${s.changed} unreachable=${s.unreachable} failed=${s.failed} skipped=${s.skipped} rescued=${s.rescued} ignored=${s.ignored}`;
  });
}
