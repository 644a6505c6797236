/**
 * hocon: set or remove one value in a HOCON file (jvb.conf, jicofo.conf),
 * keeping the rest of the file, its comments and its order. Values are
 * quoted as strings unless they are booleans or numbers (an unquoted `@` or
 * `#` would break jvb.conf); `value_type` says otherwise.
 *
 * ```yaml
 * - hocon:
 *     path: /etc/jitsi/videobridge/jvb.conf
 *     key: videobridge.apis.xmpp-client.configs.shard.HOSTNAME
 *     value: "{{ jitsi_main_address }}"
 * ```
 */
import { hoconValue, removeValue, setValue } from '../hocon/edit.ts';
import { HoconSyntaxError, parseHocon } from '../hocon/syntax.ts';
import { FILE_COMMON_PROPS } from './file-attrs.ts';
import { missingFile, planTextFile, textOf, type FileArgs } from './text-file.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface HoconArgs extends FileArgs {
  key: string;
  value?: unknown;
  value_type: 'auto' | 'string' | 'number' | 'boolean';
  state: 'present' | 'absent';
  create: boolean;
}

/** `a.b."c.d"` → ['a', 'b', 'c.d']. */
export function keyPath(key: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^.]+)/g;
  for (const m of key.matchAll(re)) out.push(m[1] !== undefined ? JSON.parse(`"${m[1]}"`) : m[2].trim());
  return out;
}

export const hocon: ModuleDef<HoconArgs> = {
  name: 'hocon',
  hostPaths: ['path'],
  argAliases: { dest: 'path', name: 'path' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'key'],
    properties: {
      path: { type: 'string' },
      key: { type: 'string', minLength: 1 },
      value: { type: ['string', 'number', 'boolean'] },
      value_type: { enum: ['auto', 'string', 'number', 'boolean'], default: 'auto' },
      state: { enum: ['present', 'absent'], default: 'present' },
      create: { type: 'boolean', default: false },
      ...FILE_COMMON_PROPS,
    },
  },
  reads: (a) => [a.path],
  async plan(a, ctx): Promise<Plan> {
    if (a.state === 'present' && a.value === undefined) return { changes: [], failed: true, msg: 'value is required with state=present' };
    const info = await ctx.files.get(a.path, ctx.become);
    if (info.state === 'directory') return { changes: [], failed: true, msg: `Path ${a.path} is a directory !` };
    if (info.state === 'unreadable') return { changes: [], failed: true, msg: `cannot read ${a.path}: ${info.reason}` };
    if (info.state === 'absent') {
      if (a.state === 'absent') return { changes: [], msg: `${a.path} does not exist: ${a.key} is absent` };
      if (!a.create) return missingFile(a.path, `Destination ${a.path} does not exist !`, 257);
    }
    // HOCON is UTF-8: the file is edited as text, the bytes outside the change are carried over as they were.
    const before = Buffer.from(textOf(info) ?? '', 'latin1').toString('utf8');
    const path = keyPath(a.key);
    let after: string;
    try {
      after = a.state === 'absent' ? removeValue(before, path) : setValue(before, path, hoconValue(a.value, a.value_type));
      parseHocon(after);
    } catch (e) {
      if (e instanceof HoconSyntaxError) return { changes: [], failed: true, msg: `cannot read ${a.path} as HOCON: ${e.message}; fix the file by hand first` };
      return { changes: [], failed: true, msg: (e as Error).message };
    }
    if (after === before) {
      const plan = planTextFile({ ...a }, info, textOf(info) ?? '', '');
      if (plan.changes.length === 0) plan.msg = a.state === 'absent' ? `${a.key} is not in ${a.path}` : `${a.key} already has this value in ${a.path}`;
      return plan;
    }
    const plan = planTextFile({ ...a }, info, Buffer.from(after, 'utf8').toString('latin1'), a.state === 'absent' ? `${a.key} removed` : `${a.key} set`, { makeParents: true, follow: true });
    return plan;
  },
};
