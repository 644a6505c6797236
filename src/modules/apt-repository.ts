/**
 * apt_repository: a one-line apt source in /etc/apt/sources.list.d/, with
 * `signed-by=` (not apt-key, which is gone in Debian 13). Built on
 * lineinfile's planner; refreshes the package lists when it changes.
 *
 * ```yaml
 * - apt_repository:
 *     repo: "deb [signed-by=/usr/share/keyrings/jitsi-key.asc] https://download.jitsi.org stable/"
 *     filename: jitsi-stable
 * ```
 */
import { planAbsent, planPresent } from './lineinfile.ts';
import { bytesOf, planTextFile, readLines, textOf } from './text-file.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface AptRepositoryArgs {
  repo: string;
  filename?: string;
  state: 'present' | 'absent';
  update_cache: boolean;
  mode?: unknown;
}

/** Ansible's default file name: the repo's URL, host and path flattened. */
export function repoFileName(a: AptRepositoryArgs): string {
  if (a.filename) return `/etc/apt/sources.list.d/${a.filename.replace(/\.list$/, '')}.list`;
  const url = a.repo.replace(/\[[^\]]*\]/, '').split(/\s+/).find((w) => /:\/\//.test(w)) ?? a.repo;
  const name = url.replace(/^[a-z]+:\/\//, '').replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '');
  return `/etc/apt/sources.list.d/${name}.list`;
}

export const aptRepository: ModuleDef<AptRepositoryArgs> = {
  name: 'apt_repository',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['repo'],
    properties: {
      repo: { type: 'string', pattern: '^(deb|deb-src)\\s' },
      filename: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
      state: { enum: ['present', 'absent'], default: 'present' },
      update_cache: { type: 'boolean', default: true },
      mode: { type: ['string', 'integer'] },
    },
  },
  reads: (a) => [repoFileName(a)],
  async plan(a, ctx): Promise<Plan> {
    const path = repoFileName(a);
    const info = await ctx.files.get(path, ctx.become);
    const repo = bytesOf(a.repo.trim().replace(/\s+/g, ' '));
    let plan: Plan;
    if (a.state === 'absent') {
      if (info.state !== 'file') return { changes: [], msg: `${path} does not exist: repository absent` };
      const { lines, found } = planAbsent({ line: repo } as never, readLines(textOf(info)!));
      plan = planTextFile({ path, mode: a.mode }, info, lines.join(''), 'repository removed');
      if (found === 0) plan.msg = `repository not in ${path}`;
    } else {
      const { lines, changed } = planPresent({ line: repo } as never, readLines(textOf(info) ?? ''));
      if (!changed && info.state === 'file') return { changes: [], msg: `repository already in ${path}` };
      plan = planTextFile({ path, mode: a.mode ?? '0644' }, info, lines.join(''), 'repository added');
    }
    if (plan.changes.length > 0 && a.update_cache) {
      plan.changes.push({ kind: 'exec', command: 'apt-get update -q' });
      plan.finish = ([out]) =>
        out.code === 0 ? { changed: true } : { failed: true, changed: true, msg: `the repository was written but apt-get update failed: ${out.stderr.trim().split('\n').slice(-2).join(' ')}` };
    }
    return plan;
  },
};
