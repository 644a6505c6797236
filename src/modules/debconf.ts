/**
 * debconf: preseed a package's question (e.g. the bridge's main server name
 * before installing it). Idempotent: the current selections are read first.
 * Password values are secret: never shown, and not "changed" when equal.
 *
 * ```yaml
 * - debconf:
 *     name: jitsi-videobridge
 *     question: jitsi-videobridge/jvb-hostname
 *     vtype: string
 *     value: meet.example.com
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface DebconfArgs {
  name: string;
  question?: string;
  vtype?: string;
  value?: unknown;
  unseen: boolean;
}

function normalize(vtype: string, value: unknown): string {
  if (vtype === 'boolean') {
    const s = String(value).toLowerCase();
    return ['true', 'yes', 'on', '1'].includes(s) ? 'true' : 'false';
  }
  if (Array.isArray(value)) return value.join(', ');
  return value === undefined || value === null ? '' : String(value);
}

export const debconf: ModuleDef<DebconfArgs> = {
  name: 'debconf',
  argAliases: { pkg: 'name', selection: 'question', setting: 'question', type: 'vtype', answer: 'value' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string' },
      question: { type: 'string' },
      vtype: { enum: ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'] },
      value: {},
      unseen: { type: 'boolean', default: false },
    },
    dependentRequired: { question: ['vtype'], vtype: ['question'] },
  },
  async plan(a, ctx): Promise<Plan> {
    if (!a.question) {
      const all = await ctx.probe(`debconf-show ${shellQuote(a.name)} 2>/dev/null || true`);
      return { changes: [], msg: `selections of ${a.name}`, result: { current: all.stdout } };
    }
    const vtype = a.vtype!;
    const want = normalize(vtype, a.value);
    const secret = vtype === 'password';
    const cur = await ctx.probe(`command -v debconf-get-selections >/dev/null || { echo "debconf-get-selections is missing: install debconf-utils" >&2; exit 3; }; debconf-get-selections 2>/dev/null | awk -F'\\t' -v p=${shellQuote(a.name)} -v k=${shellQuote(a.question)} '$1==p && $2==k {print $3 "\\t" $4}'`);
    if (cur.code !== 0) return { changes: [], failed: true, msg: cur.stderr.trim() };
    const [curType, ...rest] = cur.stdout.replace(/\n$/, '').split('\t');
    const have = cur.stdout ? rest.join('\t') : undefined;
    const show = (v: string | undefined) => (v === undefined ? '(not set)' : secret ? '********' : v);
    if (have !== undefined && normalize(vtype, have) === want && (curType === vtype || vtype === 'string')) {
      return { changes: [], msg: `${a.question} is already ${show(want)}`, secrets: secret ? [want] : undefined };
    }
    const line = `${a.name} ${a.question} ${vtype} ${want}\n`;
    const changes: Plan['changes'] = [{ kind: 'exec', command: 'debconf-set-selections', stdin: line }];
    if (a.unseen) changes.push({ kind: 'exec', command: `echo ${shellQuote(`${a.name} ${a.question} seen false`)} | debconf-set-selections` });
    return {
      changes,
      msg: `set ${a.question} to ${show(want)}`,
      diff: [{ path: `debconf ${a.name} ${a.question}`, before: `${show(have)}\n`, after: `${show(want)}\n` }],
      secrets: secret && want ? [want] : undefined,
      finish: ([out]) => (out.code === 0 ? { changed: true } : { failed: true, changed: false, msg: `debconf-set-selections failed: ${out.stderr.trim()}` }),
    };
  },
};
