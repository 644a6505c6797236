/**
 * service: start, stop, restart or reload a service, and enable it at boot:
 * systemd where it runs, /etc/init.d through `service` otherwise (the lab has
 * no systemd). In check mode a service whose package an earlier task would
 * install is reported as "would ...", not as a failure.
 *
 * ```yaml
 * - service: { name: jitsi-videobridge, state: restarted }
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import type { Change, ModuleDef, Plan } from './types.ts';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
}

/** One command: which init, whether the unit/script exists, runs, is enabled (and, under systemd, masked). */
export function serviceProbe(name: string): string {
  const n = shellQuote(name);
  return [
    'if [ -d /run/systemd/system ]; then echo INIT=systemd;',
    `  systemctl cat ${n} >/dev/null 2>&1 && echo EXISTS=yes || echo EXISTS=no;`,
    `  systemctl is-active --quiet ${n} && echo ACTIVE=yes || echo ACTIVE=no;`,
    `  e=$(systemctl is-enabled ${n} 2>/dev/null); [ "$e" = enabled ] && echo ENABLED=yes || echo ENABLED=no; [ "$e" = masked ] && echo MASKED=yes;`,
    'else echo INIT=sysv;',
    `  [ -x /etc/init.d/${name.replace(/[^\w.@-]/g, '')} ] && echo EXISTS=yes || echo EXISTS=no;`,
    `  service ${n} status >/dev/null 2>&1 && echo ACTIVE=yes || echo ACTIVE=no;`,
    `  ls /etc/rc2.d/S??${name.replace(/[^\w.@-]/g, '')} >/dev/null 2>&1 && echo ENABLED=yes || echo ENABLED=no;`,
    'fi',
  ].join(' ');
}

export const service: ModuleDef<ServiceArgs> = {
  name: 'service',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[\\w.@-]+$' },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
      enabled: { type: 'boolean' },
    },
    anyOf: [{ required: ['state'] }, { required: ['enabled'] }],
    errorMessage: 'service needs state, enabled, or both',
  },
  async plan(a, ctx): Promise<Plan> {
    return planService(a, serviceFacts((await ctx.probe(serviceProbe(a.name))).stdout));
  },
};

/** What serviceProbe printed, as KEY → value. */
export function serviceFacts(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

/** The plan for a service from its probed facts (shared with the systemd module, which probes once). */
export function planService(a: ServiceArgs, facts: Record<string, string>): Plan {
  const systemd = facts.INIT === 'systemd';
  const n = shellQuote(a.name);
  if (facts.EXISTS !== 'yes') {
    const verb = { started: 'start', stopped: 'stop', restarted: 'restart', reloaded: 'reload' }[a.state ?? 'started'];
    return {
      changes: [],
      failed: true,
      msg: `Could not find the requested service ${a.name}: ${systemd ? 'no systemd unit' : `no /etc/init.d/${a.name}`}`,
      pending: { missing: `the service ${a.name} is not installed`, action: `${a.state ? verb : 'enable'} ${a.name}` },
    };
  }
  const changes: Change[] = [];
  const did: string[] = [];
  const act = (verb: string) => {
    changes.push({ kind: 'exec', command: systemd ? `systemctl ${verb} ${n}` : `service ${n} ${verb}` });
    did.push(verb);
  };
  if (a.enabled !== undefined && (facts.ENABLED === 'yes') !== a.enabled) {
    changes.push({ kind: 'exec', command: systemd ? `systemctl ${a.enabled ? 'enable' : 'disable'} ${n}` : `update-rc.d ${n} ${a.enabled ? 'enable' : 'disable'}` });
    did.push(a.enabled ? 'enable' : 'disable');
  }
  const active = facts.ACTIVE === 'yes';
  if (a.state === 'started' && !active) act('start');
  else if (a.state === 'stopped' && active) act('stop');
  else if (a.state === 'restarted') act('restart');
  else if (a.state === 'reloaded') act(active ? 'reload' : 'start');
  if (changes.length === 0) return { changes, msg: `${a.name} is already ${a.state ?? (a.enabled ? 'enabled' : 'disabled')}` };
  return {
    changes,
    msg: `${did.join(' and ')} ${a.name}`,
    finish(outcomes) {
      const bad = outcomes.find((o) => o.code !== 0);
      return bad ? { failed: true, changed: true, msg: `${did.join(' and ')} ${a.name} failed (exit ${bad.code}): ${(bad.stderr || bad.stdout).trim().split('\n').slice(-2).join(' ')}` } : { changed: true };
    },
  };
}
