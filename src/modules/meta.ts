/**
 * meta: engine actions. `flush_handlers` runs notified handlers now; `noop`
 * does nothing; `end_play` ends the play; `end_host` ends the play for this host.
 *
 * ```yaml
 * - meta: flush_handlers
 * ```
 */
import type { ModuleDef } from './types.ts';

export const META_ACTIONS = ['flush_handlers', 'noop', 'end_play', 'end_host'];

export const meta: ModuleDef<{ _raw_params: string }> = {
  name: 'meta',
  controller: true,
  freeForm: [],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['_raw_params'],
    properties: { _raw_params: { enum: META_ACTIONS } },
  },
  async plan(a) {
    return { changes: [], msg: a._raw_params };
  },
};
