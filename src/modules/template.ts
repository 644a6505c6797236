/**
 * template: render a Jinja2 template from the controller onto the host.
 *
 * ```yaml
 * - template:
 *     src: jvb-config.j2        # looked up in templates/ beside the playbook
 *     dest: /etc/jitsi/videobridge/config
 *     mode: "0644"
 * ```
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { planContent, type CopyArgs } from './copy.ts';
import { findSource } from './source-file.ts';
import { FILE_COMMON_PROPS } from './file-attrs.ts';
import type { ModuleDef } from './types.ts';

interface TemplateArgs extends CopyArgs {
  src: string;
  trim_blocks: boolean;
  lstrip_blocks: boolean;
  newline_sequence: '\n' | '\r' | '\r\n';
}

export const template: ModuleDef<TemplateArgs> = {
  name: 'template',
  hostPaths: ['dest'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string' },
      dest: { type: 'string' },
      force: { type: 'boolean', default: true },
      // Jinja's whitespace and newline options, with Ansible's defaults.
      trim_blocks: { type: 'boolean', default: true },
      lstrip_blocks: { type: 'boolean', default: false },
      newline_sequence: { enum: ['\n', '\r', '\r\n'], default: '\n' },
      ...FILE_COMMON_PROPS,
    },
  },
  reads: (a) => [a.dest],
  async plan(a, ctx) {
    const found = await findSource(a.src, ctx.searchDirs, 'templates');
    if (!found) return { changes: [], failed: true, msg: `Could not find or access '${a.src}' (looked in ${ctx.searchDirs.map((d) => d + '/templates').join(', ')})` };
    const text = ctx.renderTemplate(await readFile(found, 'utf8'), path.dirname(found), { trim_blocks: a.trim_blocks, lstrip_blocks: a.lstrip_blocks, newline_sequence: a.newline_sequence });
    return planContent(a, Buffer.from(text, 'utf8'), ctx, 'file');
  },
};
