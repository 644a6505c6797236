/**
 * stat: facts about a path on the host.
 *
 * ```yaml
 * - stat: { path: /etc/jitsi/videobridge/config }
 *   register: jvb_cfg
 * - debug: { msg: "installed" }
 *   when: jvb_cfg.stat.exists
 * ```
 */
import { createHash } from 'node:crypto';
import type { ModuleDef } from './types.ts';

export const stat: ModuleDef<{ path: string; get_checksum: boolean; checksum_algorithm: string }> = {
  name: 'stat',
  argAliases: { dest: 'path', name: 'path' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string' },
      get_checksum: { type: 'boolean', default: true },
      checksum_algorithm: { enum: ['sha1', 'sha256', 'md5', 'sha512'], default: 'sha1' },
      follow: { type: 'boolean' },
      get_mime: { type: 'boolean' },
      get_attributes: { type: 'boolean' },
    },
  },
  reads: (a) => [a.path],
  async plan(a, ctx) {
    const info = await ctx.files.get(a.path, ctx.become);
    if (info.state === 'absent') return { changes: [], msg: `${a.path} does not exist`, result: { stat: { exists: false } } };
    if (info.state === 'unreadable') return { changes: [], msg: `${a.path} exists but is unreadable`, result: { stat: { exists: true, readable: false } } };
    const st: Record<string, unknown> = {
      exists: true,
      path: a.path,
      isdir: info.state === 'directory',
      isreg: info.state === 'file',
      mode: info.mode,
      pw_name: info.owner,
      gr_name: info.group,
    };
    if (info.state === 'file') {
      st.size = info.content.length;
      if (a.get_checksum) st.checksum = createHash(a.checksum_algorithm).update(info.content).digest('hex');
    }
    return { changes: [], msg: `${a.path} is a ${info.state}`, result: { stat: st } };
  },
};
