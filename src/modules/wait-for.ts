/**
 * wait_for: wait on the managed host until a TCP port answers (or stops
 * answering), or a file exists (with a line matching search_regex) or is
 * gone, as Ansible's. Read-only, so it runs in check mode too. The loop runs
 * on the host in bash (/dev/tcp): nothing to install there.
 *
 * ```yaml
 * - wait_for: { port: 8080, timeout: 60 }
 * - wait_for: { path: /var/log/jitsi/jvb.log, search_regex: "Joined MUC" }
 * ```
 */
import { pyRegex } from '../template/filters.ts';
import { shellQuote } from '../util/shell-quote.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface WaitForArgs {
  host: string;
  port?: number;
  path?: string;
  search_regex?: string;
  state: 'started' | 'stopped' | 'present' | 'absent' | 'drained';
  delay: number;
  timeout: number;
  sleep: number;
  msg?: string;
}

export const waitFor: ModuleDef<WaitForArgs> = {
  name: 'wait_for',
  hostPaths: ['path'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      path: { type: 'string' },
      search_regex: { type: 'string' },
      state: { enum: ['started', 'stopped', 'present', 'absent', 'drained'], default: 'started' },
      delay: { type: 'number', minimum: 0, default: 0 },
      timeout: { type: 'number', minimum: 0, default: 300 },
      sleep: { type: 'number', minimum: 0.1, default: 1 },
      msg: { type: 'string' },
    },
    not: { required: ['port', 'path'] },
    errorMessage: 'wait_for takes port or path, not both',
  },
  async plan(a, ctx): Promise<Plan> {
    let check: string;
    let what: string;
    if (a.port !== undefined) {
      if (a.search_regex !== undefined) return { changes: [], failed: true, msg: 'wait_for: search_regex with a port (reading a banner) is not supported; use it with path' };
      const open = `(exec 3<>${shellQuote(`/dev/tcp/${a.host}/${a.port}`)}) 2>/dev/null`;
      if (!['started', 'stopped', 'drained'].includes(a.state)) return { changes: [], failed: true, msg: `wait_for: state ${a.state} with a port is not supported (started, stopped or drained)` };
      // drained: no established connection to the port on this host (ss from iproute2).
      const drained = `[ -z "$(ss -Htn state established ${shellQuote(`( sport = :${a.port} )`)} 2>/dev/null)" ]`;
      check = a.state === 'stopped' ? `! ${open}` : a.state === 'drained' ? drained : open;
      what = `${a.host}:${a.port}`;
    } else if (a.path !== undefined) {
      const p = shellQuote(a.path);
      if (a.state === 'absent' || a.state === 'stopped') check = `[ ! -e ${p} ]`;
      // search_regex is a Python regex: grep's Perl regexes read it ((?P<name>...) included).
      else check = a.search_regex !== undefined ? `grep -Pq -- ${shellQuote(a.search_regex)} ${p} 2>/dev/null` : `[ -e ${p} ]`;
      what = `file ${a.path}${a.search_regex !== undefined ? ` to contain ${a.search_regex}` : ''}`;
    } else {
      // Neither port nor path: Ansible sleeps the delay, then the whole timeout.
      check = `sleep ${Math.max(0, a.timeout)}`;
      what = 'the timeout';
    }
    const script = [
      `sleep ${a.delay}`,
      `end=$(( $(date +%s) + ${Math.ceil(a.timeout)} ))`,
      `start=$(date +%s)`,
      // With search_regex on a file, its content follows (base64) for the match groups.
      `while :; do if ${check}; then echo "elapsed=$(( $(date +%s) - start + ${Math.round(a.delay)} ))"; ${a.search_regex !== undefined && a.path !== undefined ? `echo "content=$(base64 -w0 < ${shellQuote(a.path)})"; ` : ''}exit 0; fi; [ "$(date +%s)" -ge "$end" ] && exit 1; sleep ${a.sleep}; done`,
    ].join('\n');
    const started = Date.now();
    const out = await ctx.probe(`exec bash -c ${shellQuote(script)}`);
    const elapsed = Math.round((Date.now() - started) / 1000);
    // The keys of Ansible's result, null where not asked.
    const result: Record<string, unknown> = { elapsed, state: a.state, port: a.port ?? null, path: a.path ?? null, search_regex: a.search_regex ?? null, match_groups: [], match_groupdict: {} };
    if (out.code === 0) {
      const content = /^content=(.*)$/m.exec(out.stdout)?.[1];
      if (content !== undefined && a.search_regex !== undefined) {
        // Ansible's match_groups and match_groupdict (re.search over the file, multiline).
        const m = pyRegex(a.search_regex, 'm').exec(Buffer.from(content, 'base64').toString('utf8'));
        if (m) Object.assign(result, { match_groups: m.slice(1).map((g) => g ?? null), match_groupdict: { ...(m.groups ?? {}) } });
      }
      return { changes: [], msg: `${what}: ${a.state} after ${elapsed} s`, result };
    }
    return { changes: [], failed: true, msg: a.msg ?? `Timeout when waiting for ${what}${a.state === 'stopped' || a.state === 'absent' ? ` to be ${a.state}` : ''}`, result };
  },
};
