/**
 * apt: Debian packages present, absent or latest, non-interactively; the
 * package lists refreshed when asked (and older than cache_valid_time).
 * Check mode predicts with a simulated install (`apt-get -s`).
 *
 * ```yaml
 * - apt:
 *     name: jitsi-videobridge
 *     update_cache: true
 *     cache_valid_time: 3600
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import type { Change, ModuleDef, Plan } from './types.ts';

export interface AptArgs {
  name?: string | string[];
  state: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
  cache_valid_time?: number;
  install_recommends?: boolean;
  default_release?: string;
}

const INSTALL = 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold';

interface PkgState {
  installed: boolean;
  version?: string;
  candidate?: string;
}

/** One command: dpkg's view of the packages, their candidates, and the age of the package lists. */
function probeCommand(names: string[], latest: boolean): string {
  const list = names.map(shellQuote).join(' ');
  return [
    'command -v apt-get >/dev/null 2>&1 && echo "APTGET|yes"',
    `for p in ${list}; do s=$(dpkg-query -W -f='\${db:Status-Abbrev}|\${Version}' "$p" 2>/dev/null); echo "PKG|$p|$s"; done`,
    latest ? `apt-cache policy ${list} 2>/dev/null | awk '/^[^ ]/ {p=$1; sub(":$","",p)} /Candidate:/ {print "CAND|" p "|" $2}'` : ':',
    'now=$(date +%s); t=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists/partial 2>/dev/null | sort -n | tail -n1); echo "AGE|$(( now - ${t:-0} ))"',
  ].join('; ');
}

function parseProbe(stdout: string): { pkgs: Map<string, PkgState>; age: number; aptGet: boolean } {
  const pkgs = new Map<string, PkgState>();
  let age = Infinity;
  let aptGet = false;
  for (const line of stdout.split('\n')) {
    const [kind, a, b, c] = line.split('|');
    if (kind === 'PKG') pkgs.set(a, { installed: (b ?? '').startsWith('ii'), version: c || undefined });
    else if (kind === 'CAND' && pkgs.has(a)) pkgs.get(a)!.candidate = b === '(none)' ? undefined : b;
    else if (kind === 'AGE') age = Number(a);
    else if (kind === 'APTGET') aptGet = true;
  }
  return { pkgs, age, aptGet };
}

export const apt: ModuleDef<AptArgs> = {
  name: 'apt',
  argAliases: { pkg: 'name', package: 'name', 'update-cache': 'update_cache', 'default-release': 'default_release' },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      state: { enum: ['present', 'absent', 'latest'], default: 'present' },
      update_cache: { type: 'boolean' },
      cache_valid_time: { type: 'integer', minimum: 0 },
      install_recommends: { type: 'boolean' },
      // apt-get -t: the release to take packages from (empty: apt's default, as Ansible's).
      default_release: { type: 'string' },
    },
    anyOf: [{ required: ['name'] }, { required: ['update_cache'] }],
    errorMessage: 'apt needs name, update_cache, or both',
  },
  async plan(a, ctx): Promise<Plan> {
    const names = (Array.isArray(a.name) ? a.name : a.name ? a.name.split(',') : []).map((n) => n.trim()).filter(Boolean);
    const bare = names.map((n) => n.split('=')[0]);
    const probe = await ctx.probe(probeCommand(bare.length ? bare : ['apt'], a.state === 'latest'));
    const { pkgs, age, aptGet } = parseProbe(probe.stdout);
    if (!aptGet) return { changes: [], failed: true, msg: `${ctx.host} has no apt-get: jitsi-fleet manages packages with apt only (Debian, Ubuntu)` };
    const stale = Boolean(a.update_cache) && (a.cache_valid_time === undefined || age > a.cache_valid_time);
    let todo: string[];
    if (a.state === 'absent') todo = names.filter((_n, i) => pkgs.get(bare[i])?.installed);
    else if (a.state === 'latest') todo = names.filter((_n, i) => !pkgs.get(bare[i])?.installed || (pkgs.get(bare[i])?.candidate !== undefined && pkgs.get(bare[i])?.candidate !== pkgs.get(bare[i])?.version));
    else todo = names.filter((n, i) => !pkgs.get(bare[i])?.installed || (n.includes('=') && pkgs.get(bare[i])?.version !== n.split('=')[1]));
    const changes: Change[] = [];
    if (stale && (todo.length > 0 || names.length === 0)) changes.push({ kind: 'exec', command: 'apt-get update -q' });
    const rec = (a.install_recommends === undefined ? '' : a.install_recommends ? ' --install-recommends' : ' --no-install-recommends') + (a.default_release ? ` -t ${shellQuote(a.default_release)}` : '');
    if (todo.length > 0) {
      changes.push({ kind: 'exec', command: a.state === 'absent' ? `DEBIAN_FRONTEND=noninteractive apt-get remove -y -q ${todo.map(shellQuote).join(' ')}` : `${INSTALL}${rec} ${todo.map(shellQuote).join(' ')}` });
    }
    if (changes.length === 0) {
      return { changes, msg: names.length ? `${names.join(', ')} already ${a.state === 'absent' ? 'absent' : a.state === 'latest' ? 'at the latest version' : 'installed'}` : 'package lists are recent enough' };
    }
    let msg = todo.length ? `${a.state === 'absent' ? 'remove' : 'install'} ${todo.join(', ')}` : 'update the package lists';
    if (ctx.check && todo.length && a.state !== 'absent') {
      const sim = await ctx.probe(`apt-get -s -q ${rec.trim()} install ${todo.map(shellQuote).join(' ')} 2>&1`);
      const inst = [...sim.stdout.matchAll(/^Inst (\S+)/gm)].map((m) => m[1]);
      msg = sim.code === 0
        ? `would install ${inst.join(', ') || todo.join(', ')}`
        : `would install ${todo.join(', ')} (not in the current package lists: an earlier task of this run adds its repository)`;
    }
    return {
      changes,
      msg,
      finish(outcomes) {
        const bad = outcomes.find((o) => o.code !== 0);
        if (bad) return { failed: true, changed: true, msg: `apt-get failed (exit ${bad.code}): ${(bad.stderr || bad.stdout).trim().split('\n').slice(-3).join(' ')}`, result: { stdout: bad.stdout, stderr: bad.stderr } };
        return { changed: true, msg, result: { cache_updated: changes[0]?.kind === 'exec' && changes[0].command.startsWith('apt-get update') } };
      },
    };
  },
};
