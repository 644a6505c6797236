/**
 * package: the generic package module, as Ansible's: it hands the work to the
 * host's package manager. jitsi-fleet knows apt (Debian, Ubuntu): on a host
 * without apt-get, apt's own probe says so, before changing anything.
 *
 * ```yaml
 * - package: { name: [nginx, prosody], state: present }
 * ```
 */
import { apt } from './apt.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface PackageArgs {
  name: string | string[];
  state: 'present' | 'absent' | 'latest' | 'installed' | 'removed';
  use: string;
}

export const packageModule: ModuleDef<PackageArgs> = {
  name: 'package',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'state'],
    properties: {
      name: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      state: { enum: ['present', 'absent', 'latest', 'installed', 'removed'] },
      use: { type: 'string', default: 'auto' },
    },
  },
  async plan(a, ctx): Promise<Plan> {
    if (a.use !== 'auto' && a.use !== 'apt') return { changes: [], failed: true, msg: `package: use=${a.use} is not supported; jitsi-fleet manages packages with apt (use: auto or apt)` };
    const state = a.state === 'installed' ? 'present' : a.state === 'removed' ? 'absent' : a.state;
    return apt.plan({ name: a.name, state }, ctx);
  },
};
