/**
 * timezone (community.general.timezone): the host's time zone, set as that
 * module sets it on Debian: with `timedatectl set-timezone` where systemd
 * runs, else in /etc/timezone (the zone's line replaced, other zone lines
 * dropped), the /etc/localtime link and `dpkg-reconfigure tzdata`. Its diff
 * (`before`/`after`: `{ name }`, "n/a" where nothing is set) and its message
 * are the module's. `hwclock` is refused.
 *
 * ```yaml
 * - community.general.timezone: { name: Europe/Berlin }
 * ```
 */
import { keyValueLines } from '../util/kv-lines.ts';
import { shellQuote } from '../util/shell-quote.ts';
import type { ModuleDef, Plan } from './types.ts';

const q = shellQuote;

export interface TimezoneArgs {
  name?: string;
  hwclock?: string;
}

/**
 * What the host has, as the module reads it (NosystemdTimezone.get / SystemdTimezone.get):
 * the zone of /etc/timezone, corrected by where /etc/localtime points when that file already
 * names the planned zone. `$tz` is the planned zone.
 */
const READ = `if command -v timedatectl >/dev/null 2>&1 && timedatectl >/dev/null 2>&1; then
  echo MODE=systemd
  timedatectl status | sed -n 's/^[[:space:]]*Time \\{0,1\\}zone[[:space:]]*:[[:space:]]*\\([^[:space:]]*\\).*/NAME=\\1/p'
else
  echo MODE=files
  command -v dpkg-reconfigure >/dev/null 2>&1 && echo DPKG=1
  if [ -e /etc/timezone ] && [ ! -r /etc/timezone ]; then echo UNREADABLE=1; fi
  name=$(grep -m1 -o '^[^[:space:]]\\{1,\\}' /etc/timezone 2>/dev/null) || name=n/a
  if [ "$name" = "$tz" ]; then
    if [ -L /etc/localtime ]; then
      if [ -e /etc/localtime ]; then
        link=$(readlink /etc/localtime)
        case "$link" in
          */usr/share/zoneinfo/* | */etc/zoneinfo/*) name=\${link#*/zoneinfo/} ;;
          *) name=n/a ;;
        esac
      else
        name=n/a
      fi
    elif ! cmp -s /etc/localtime "/usr/share/zoneinfo/$tz"; then
      name=n/a
    fi
  fi
  echo "NAME=$name"
fi`;

/** The module's failure text (Timezone.abort): "Error message:" and the message, then what it did before. */
const abort = (msg: string, done: string[] = []) => ['Error message:', msg, ...(done.length ? ['Other message(s):', ...done] : [])].join('\n');

export const timezone: ModuleDef<TimezoneArgs> = {
  name: 'timezone',
  argAliases: { rtc: 'hwclock' },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { name: { type: 'string' }, hwclock: { enum: ['local', 'UTC'] } },
    anyOf: [{ required: ['name'] }, { required: ['hwclock'] }],
    errorMessage: 'timezone needs name (or hwclock)',
  },
  async plan(a, ctx): Promise<Plan> {
    if (a.hwclock !== undefined) return { changes: [], failed: true, msg: 'timezone: hwclock is not supported by jitsi-fleet yet (set the hardware clock with a command task: hwclock --systohc --utc)' };
    const tz = a.name!;
    const zoneFile = `/usr/share/zoneinfo/${tz}`;
    const probe = await ctx.probe(`tz=${q(tz)}\n[ -f ${q(zoneFile)} ] || echo MISSING=1\n${READ}`);
    const now = keyValueLines(probe.stdout);
    if (now.MISSING) return { changes: [], failed: true, msg: abort(`given timezone "${tz}" is not available`) };
    if (now.UNREADABLE) return { changes: [], failed: true, msg: abort('tried to configure name using a file "/etc/timezone", but could not read it') };
    const before = now.NAME ?? 'n/a';
    if (before === tz) return { changes: [], msg: `the time zone is ${tz}`, result: { diff: { before: { name: before }, after: { name: tz } } } };
    const planned = { diff: { before: { name: before }, after: { name: tz } } };
    const set =
      now.MODE === 'systemd'
        ? `timedatectl set-timezone ${q(tz)} || exit 1`
        : [
            // /etc/timezone: the first zone line replaced, any other dropped (NosystemdTimezone._edit_file),
            // through a temporary file and a rename.
            't=$(mktemp /etc/.timezone.XXXXXX) || exit 1',
            'if [ -e /etc/timezone ]; then',
            `  awk -v v="$tz" '{ l[NR] = $0 } /^[^[:space:]]/ { m++; if (!f) f = NR } END { if (!f) print v; for (i = 1; i <= NR; i++) { if (i == f) print v; if (l[i] !~ /^[^[:space:]]/) print l[i] } print m + 0 > "/dev/stderr" }' /etc/timezone > "$t" 2> "$t.n" || { rm -f "$t" "$t.n"; exit 1; }`,
            '  echo "DELETED=$(cat "$t.n")"; rm -f "$t.n"',
            '  chmod --reference=/etc/timezone "$t"; chown --reference=/etc/timezone "$t"',
            'else',
            `  printf '%s\\n' "$tz" > "$t"; chmod 644 "$t"; echo DELETED=0`,
            'fi',
            'mv -f "$t" /etc/timezone || { rm -f "$t"; exit 1; }',
            `ln -sf ${q(zoneFile)} /etc/localtime || exit 1`,
            now.DPKG ? 'dpkg-reconfigure --frontend noninteractive tzdata >/dev/null || exit 1' : 'true',
          ].join('\n');
    return {
      changes: [{ kind: 'exec', command: `tz=${q(tz)}\n${set}\n${READ}` }],
      msg: `set the time zone to ${tz}`,
      result: planned,
      finish([out]) {
        const after = keyValueLines(out.stdout);
        const done = after.DELETED !== undefined ? [`Added 1 line and deleted ${after.DELETED} line(s) on /etc/timezone`] : [];
        if (out.code !== 0) return { failed: true, changed: true, msg: abort(`setting the time zone failed (rc ${out.code}): ${(out.stderr || out.stdout).trim()}`, done), result: { rc: out.code } };
        const name = after.NAME ?? 'n/a';
        if (name !== tz) return { failed: true, changed: true, msg: abort(`still not desired state, though changes have made - planned: {'name': '${tz}'}, after: {'name': '${name}'}`, done) };
        return { changed: true, msg: done.join('\n'), result: { diff: { before: { name: before }, after: { name } }, ...(done.length ? { msg: done.join('\n') } : {}) } };
      },
    };
  },
};
