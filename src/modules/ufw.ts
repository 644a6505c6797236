/**
 * ufw (community.general.ufw): firewall rules and the firewall's state.
 * Rules are read from ufw's own rule files, so they are known also while ufw
 * is inactive. Enabling never happens before the SSH port this run is
 * connected through is allowed.
 *
 * ```yaml
 * - community.general.ufw: { rule: allow, port: "5347", proto: tcp }
 * - community.general.ufw: { state: enabled }
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import type { Change, ModuleDef, Plan } from './types.ts';

export interface UfwArgs {
  state?: 'enabled' | 'disabled' | 'reloaded';
  rule?: 'allow' | 'deny' | 'reject' | 'limit';
  port?: string;
  proto?: 'tcp' | 'udp' | 'any';
  from_ip: string;
  to_ip: string;
  comment?: string;
  delete: boolean;
}

interface Tuple {
  action: string;
  proto: string;
  dport: string;
  dst: string;
  src: string;
}

const ANY4 = '0.0.0.0/0';

export function parseRules(text: string): Tuple[] {
  const out: Tuple[] = [];
  for (const line of text.split('\n')) {
    const m = /^### tuple ### (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)/.exec(line);
    if (m) out.push({ action: m[1], proto: m[2], dport: m[3], dst: m[4], src: m[6] });
  }
  return out;
}

const norm = (ip: string) => (ip === 'any' || ip === '' ? ANY4 : ip);

function has(rules: Tuple[], want: Tuple): boolean {
  return rules.some((r) => r.action === want.action && r.proto === want.proto && r.dport === want.dport && r.src === want.src && r.dst === want.dst);
}

/** Does some rule let TCP connections to `port` in from anywhere? */
function allowsSsh(rules: Tuple[], port: string): boolean {
  return rules.some((r) => (r.action === 'allow' || r.action === 'limit') && (r.proto === 'tcp' || r.proto === 'any') && (r.dport === port || r.dport === 'any') && r.src === ANY4);
}

function ruleCommand(t: Tuple, comment: string | undefined, del: boolean): string {
  const parts = ['ufw', ...(del ? ['delete'] : []), t.action];
  if (t.proto !== 'any') parts.push('proto', t.proto);
  parts.push('from', t.src === ANY4 ? 'any' : shellQuote(t.src), 'to', t.dst === ANY4 ? 'any' : shellQuote(t.dst));
  if (t.dport !== 'any') parts.push('port', shellQuote(t.dport));
  if (comment && !del) parts.push('comment', shellQuote(comment));
  return parts.join(' ');
}

export const ufw: ModuleDef<UfwArgs> = {
  name: 'ufw',
  argAliases: { src: 'from_ip', from: 'from_ip', dest: 'to_ip', to: 'to_ip', to_port: 'port', protocol: 'proto', policy: 'rule' },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      state: { enum: ['enabled', 'disabled', 'reloaded'] },
      rule: { enum: ['allow', 'deny', 'reject', 'limit'] },
      port: { type: 'string', pattern: '^[0-9]+(:[0-9]+)?$' },
      proto: { enum: ['tcp', 'udp', 'any'] },
      from_ip: { type: 'string', default: 'any' },
      to_ip: { type: 'string', default: 'any' },
      comment: { type: 'string' },
      delete: { type: 'boolean', default: false },
    },
    anyOf: [{ required: ['state'] }, { required: ['rule'] }],
    errorMessage: 'ufw needs a rule, a state, or both',
  },
  async plan(a, ctx): Promise<Plan> {
    const probe = await ctx.probe(
      'command -v ufw >/dev/null || { echo "ufw is not installed" >&2; exit 3; }; ufw status 2>/dev/null | head -n1; cat /etc/ufw/user.rules 2>/dev/null',
    );
    if (probe.code !== 0) {
      return { changes: [], failed: true, msg: probe.stderr.trim(), pending: { missing: 'ufw is not installed', action: 'configure ufw' } };
    }
    const active = /Status: active/.test(probe.stdout.split('\n')[0]);
    const rules = parseRules(probe.stdout);
    const changes: Change[] = [];
    const did: string[] = [];
    if (a.rule) {
      const t: Tuple = { action: a.rule, proto: a.proto ?? 'any', dport: a.port ?? 'any', dst: norm(a.to_ip), src: norm(a.from_ip) };
      const present = has(rules, t);
      if (present === a.delete) {
        changes.push({ kind: 'exec', command: ruleCommand(t, a.comment, a.delete) });
        did.push(`${a.delete ? 'delete' : 'add'} rule ${a.rule} ${t.proto}/${t.dport} from ${a.from_ip}`);
        if (!a.delete) rules.push(t);
      }
    }
    if (a.state === 'enabled' && !active) {
      const sshPort = String(ctx.vars('ansible_port') ?? 22);
      if (!allowsSsh(rules, sshPort)) {
        changes.push({ kind: 'exec', command: `ufw allow proto tcp from any to any port ${shellQuote(sshPort)} comment 'ssh (jitsi-fleet)'` });
        did.push(`allow SSH port ${sshPort} first`);
      }
      changes.push({ kind: 'exec', command: 'ufw --force enable' });
      did.push('enable ufw');
    } else if (a.state === 'disabled' && active) {
      changes.push({ kind: 'exec', command: 'ufw disable' });
      did.push('disable ufw');
    } else if (a.state === 'reloaded' && active) {
      changes.push({ kind: 'exec', command: 'ufw reload' });
      did.push('reload ufw');
    }
    if (changes.length === 0) return { changes, msg: a.rule ? `rule ${a.rule} ${a.proto ?? 'any'}/${a.port ?? 'any'} already ${a.delete ? 'absent' : 'present'}${a.state ? `, ufw ${a.state}` : ''}` : `ufw already ${a.state}` };
    return {
      changes,
      msg: did.join(', '),
      finish(outcomes) {
        const bad = outcomes.find((o) => o.code !== 0);
        return bad ? { failed: true, changed: true, msg: `ufw failed (exit ${bad.code}): ${(bad.stderr || bad.stdout).trim()}` } : { changed: true };
      },
    };
  },
};
