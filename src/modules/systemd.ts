/**
 * systemd (systemd_service): a unit's state, enablement and mask, with
 * daemon_reload, as Ansible's. On a host where systemd is not running (a
 * container, the lab) state and enabled fall back to /etc/init.d through the
 * service module; daemon_reload has nothing to reload there (said in the
 * message) and masked is refused.
 *
 * ```yaml
 * - systemd: { name: jitsi-videobridge2, state: restarted, daemon_reload: true }
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import { planService, serviceFacts, serviceProbe } from './service.ts';
import type { Change, ModuleDef, Plan } from './types.ts';

export interface SystemdArgs {
  name?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
  daemon_reload: boolean;
  daemon_reexec: boolean;
  scope: 'system' | 'user' | 'global';
  no_block: boolean;
}

export const systemd: ModuleDef<SystemdArgs> = {
  name: 'systemd',
  argAliases: { unit: 'name', service: 'name', 'daemon-reload': 'daemon_reload' },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[\\w.@:-]+$' },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
      enabled: { type: 'boolean' },
      masked: { type: 'boolean' },
      daemon_reload: { type: 'boolean', default: false },
      daemon_reexec: { type: 'boolean', default: false },
      scope: { enum: ['system'], default: 'system' },
      no_block: { type: 'boolean', default: false },
    },
    anyOf: [{ required: ['name'] }, { required: ['daemon_reload'] }, { required: ['daemon_reexec'] }],
    errorMessage: 'systemd needs a name (with state, enabled or masked), or daemon_reload',
  },
  async plan(a, ctx): Promise<Plan> {
    // One round trip: the service module's probe (init, unit, state, enabled, masked), or only the init without a unit.
    const facts = serviceFacts((await ctx.probe(a.name ? serviceProbe(a.name) : '[ -d /run/systemd/system ] && echo INIT=systemd || echo INIT=sysv')).stdout);
    const onSystemd = facts.INIT === 'systemd';
    const wantsUnit = a.state !== undefined || a.enabled !== undefined || a.masked !== undefined;
    if (!onSystemd) {
      if (a.masked !== undefined) return { changes: [], failed: true, msg: `systemd is not running on ${ctx.host}: a unit cannot be masked there` };
      const note = a.daemon_reload || a.daemon_reexec ? ' (no systemd on this host: nothing to reload)' : '';
      if (!wantsUnit || !a.name) return { changes: [], msg: `nothing to do${note}` };
      const plan = planService({ name: a.name, state: a.state, enabled: a.enabled }, facts);
      return { ...plan, msg: plan.msg + note };
    }
    const changes: Change[] = [];
    const did: string[] = [];
    if (a.daemon_reexec) changes.push({ kind: 'exec', command: 'systemctl daemon-reexec' });
    if (a.daemon_reload) changes.push({ kind: 'exec', command: 'systemctl daemon-reload' });
    const n = a.name ? shellQuote(a.name) : '';
    const masked = facts.MASKED === 'yes';
    if (a.name && a.masked !== undefined && a.masked !== masked) {
      changes.push({ kind: 'exec', command: `systemctl ${a.masked ? 'mask' : 'unmask'} ${n}` });
      did.push(a.masked ? 'mask' : 'unmask');
    }
    let unitPlan: Plan | undefined;
    if (a.name && (a.state !== undefined || a.enabled !== undefined) && !(a.masked === true)) {
      unitPlan = planService({ name: a.name, state: a.state, enabled: a.enabled }, facts);
      if (unitPlan.failed && !(did.includes('unmask') && unitPlan.pending)) return unitPlan;
      for (const c of unitPlan.changes) changes.push(c);
      if (unitPlan.changes.length) did.push(unitPlan.msg);
    }
    const stateChanges = did.length > 0;
    if (changes.length === 0) return { changes, msg: unitPlan?.msg ?? 'nothing to do' };
    const reloadOnly = !stateChanges;
    return {
      changes,
      msg: [...(a.daemon_reload ? ['daemon-reload'] : []), ...did].join(', '),
      finish(outcomes) {
        const bad = outcomes.find((o) => o.code !== 0);
        if (bad) return { failed: true, changed: !reloadOnly, msg: `systemctl failed (exit ${bad.code}): ${(bad.stderr || bad.stdout).trim().split('\n').slice(-2).join(' ')}` };
        // As Ansible's: a daemon-reload alone is not a change of the unit.
        return { changed: !reloadOnly };
      },
    };
  },
};
