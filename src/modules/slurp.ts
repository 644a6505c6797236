/**
 * slurp: read a file from the host (base64), e.g. the bridge's secret.
 *
 * ```yaml
 * - slurp: { src: /etc/jitsi/videobridge/config }
 *   register: jvb_config
 * ```
 */
import type { ModuleDef } from './types.ts';

export const slurp: ModuleDef<{ src: string }> = {
  name: 'slurp',
  hostPaths: ['src'],
  argAliases: { path: 'src' },
  schema: { type: 'object', additionalProperties: false, required: ['src'], properties: { src: { type: 'string' } } },
  reads: (a) => [a.src],
  async plan(a, ctx) {
    const info = await ctx.files.get(a.src, ctx.become);
    // Ansible's words for an error other than ENOENT, EACCES and EISDIR: Python's own.
    if (info.state === 'absent' && info.underFile) return { changes: [], failed: true, msg: `unable to slurp file: [Errno 20] Not a directory: '${a.src}'` };
    if (info.state === 'absent') return { changes: [], failed: true, msg: `file not found: ${a.src}` };
    if (info.state === 'directory') return { changes: [], failed: true, msg: `source is a directory and must be a file: ${a.src}` };
    if (info.state === 'unreadable') return { changes: [], failed: true, msg: `file is not readable: ${a.src}` };
    return { changes: [], msg: `read ${info.content.length} bytes of ${a.src}`, result: { content: info.content.toString('base64'), encoding: 'base64', source: a.src } };
  },
};
