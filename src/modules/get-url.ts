/**
 * get_url: download a file on the host (for a repository key, stored as a
 * keyring file). Changed only when the content changes; in check mode the
 * download still happens (it only reads) so the prediction is exact.
 *
 * ```yaml
 * - get_url:
 *     url: https://download.jitsi.org/jitsi-key.gpg.key
 *     dest: /usr/share/keyrings/jitsi-key.asc
 *     mode: "0644"
 * ```
 */
import { createHash } from 'node:crypto';
import { shellQuote } from '../util/shell-quote.ts';
import { FILE_COMMON_PROPS } from './file-attrs.ts';
import { planTextFile, type FileArgs } from './text-file.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface GetUrlArgs extends FileArgs {
  url: string;
  dest: string;
  checksum?: string;
  force: boolean;
  timeout: number;
}

/** A shell snippet that prints the URL's body in base64, with curl, wget or python3. */
export function fetchCommand(url: string, timeout: number): string {
  const u = shellQuote(url);
  return (
    `if command -v curl >/dev/null 2>&1; then curl -fsSL --max-time ${timeout} ${u}; ` +
    `elif command -v wget >/dev/null 2>&1; then wget -q -T ${timeout} -O - ${u}; ` +
    `else python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=${timeout}).read())' ${u}; fi | base64 -w0`
  );
}

export const getUrl: ModuleDef<GetUrlArgs> = {
  name: 'get_url',
  hostPaths: ['dest'],
  argAliases: { path: 'dest' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'dest'],
    properties: {
      url: { type: 'string', pattern: '^(https?|ftp|file)://' },
      dest: { type: 'string' },
      checksum: { type: 'string', pattern: '^(sha1|sha256|sha384|sha512|md5):[0-9a-fA-F]+$' },
      force: { type: 'boolean', default: false },
      timeout: { type: 'integer', default: 10 },
      ...FILE_COMMON_PROPS,
    },
  },
  reads: (a) => [a.dest],
  async plan(a, ctx): Promise<Plan> {
    const info = await ctx.files.get(a.dest, ctx.become);
    if (info.state === 'directory') return { changes: [], failed: true, msg: `dest ${a.dest} is a directory; name the file` };
    const want = a.checksum?.split(':');
    const sum = (buf: Buffer) => (want ? createHash(want[0]).update(buf).digest('hex') : '');
    if (info.state === 'file' && !a.force && (!want || sum(info.content) === want[1].toLowerCase())) {
      const plan = planTextFile({ ...a, path: a.dest }, info, info.content.toString('latin1'), '');
      plan.msg = plan.changes.length ? plan.msg : `${a.dest} exists${want ? ' with the expected checksum' : ''} (force: no)`;
      return plan;
    }
    // pipefail where the shell has it (dash exits on an unknown `set -o`).
    const res = await ctx.probe(`(set -o pipefail) 2>/dev/null && set -o pipefail; ${fetchCommand(a.url, a.timeout)}`);
    if (res.code !== 0 || res.stdout === '') return { changes: [], failed: true, msg: `Request failed: ${a.url}: ${res.stderr.trim() || `exit ${res.code}`}` };
    const body = Buffer.from(res.stdout, 'base64');
    if (want && sum(body) !== want[1].toLowerCase()) {
      return { changes: [], failed: true, msg: `The checksum for ${a.url} did not match ${a.checksum}; it was ${want[0]}:${sum(body)}` };
    }
    const plan = planTextFile({ ...a, path: a.dest }, info, body.toString('latin1'), 'file downloaded');
    if (plan.changes.length === 0) plan.msg = `${a.dest} already has the content of ${a.url}`;
    return plan;
  },
};
