/**
 * script: a controller-side script (from `files/`) run on the host with its
 * arguments, as Ansible's: sent on stdin into a temporary file that is
 * removed afterwards; `creates`/`removes`, `chdir`, `executable`. And getent:
 * a database of the host (passwd, group, shadow, hosts...) as facts
 * `getent_<database>`.
 *
 * ```yaml
 * - script: files/check-bridge.sh --quiet
 *   args: { creates: /var/lib/jitsi/checked }
 * - getent: { database: passwd, key: jvb }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { shellQuote } from '../util/shell-quote.ts';
import { shlexWords } from './command.ts';
import { findSource } from './source-file.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface ScriptArgs {
  _raw_params?: string;
  cmd?: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  executable?: string;
}

export const script: ModuleDef<ScriptArgs> = {
  name: 'script',
  hostPaths: ['chdir', 'creates', 'removes'],
  freeForm: ['chdir', 'creates', 'removes', 'executable'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { _raw_params: { type: 'string' }, cmd: { type: 'string' }, chdir: { type: 'string' }, creates: { type: 'string' }, removes: { type: 'string' }, executable: { type: 'string' } },
    oneOf: [{ required: ['_raw_params'] }, { required: ['cmd'] }],
    errorMessage: 'script needs the script path (and its arguments): free form or cmd',
  },
  async plan(a, ctx): Promise<Plan> {
    const words = shlexWords((a.cmd ?? a._raw_params)!.trim());
    const [file, ...args] = words;
    const found = file ? await findSource(file, ctx.searchDirs, 'files') : undefined;
    if (!found) return { changes: [], failed: true, msg: `Could not find or access '${file}' on the Ansible Controller.` };
    for (const [k, want] of [['creates', 'present'], ['removes', 'absent']] as const) {
      const p = a[k];
      if (p === undefined) continue;
      const info = await ctx.files.get(p, ctx.become);
      if ((info.state !== 'absent') === (want === 'present')) return { changes: [], msg: `skipped, since ${p} ${want === 'present' ? 'exists' : 'does not exist'}`, result: { rc: 0, stdout: '', stderr: '' } };
    }
    if (ctx.check) return { changes: [], skipped: true, msg: 'script is not run in check mode' };
    const body = await readFile(found, 'utf8');
    const run = [a.executable ? shellQuote(a.executable) : '"$t"', ...(a.executable ? ['"$t"'] : []), ...args.map(shellQuote)].join(' ');
    const command = [
      't=$(mktemp) || exit 1',
      'cat > "$t" && chmod 700 "$t"',
      a.chdir ? `cd ${shellQuote(a.chdir)} || { rm -f "$t"; exit 1; }` : 'true',
      `${run} </dev/null; rc=$?`,
      'rm -f "$t"; exit $rc',
    ].join('\n');
    return {
      changes: [{ kind: 'exec', command, stdin: body }],
      msg: `would run ${file}`,
      finish([out]) {
        const result = { rc: out.code, stdout: out.stdout, stderr: out.stderr, stdout_lines: out.stdout.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1) };
        return out.code === 0 ? { changed: true, msg: '', result } : { failed: true, changed: true, msg: `non-zero return code ${out.code}`, result };
      },
    };
  },
};

export interface GetentArgs {
  database: string;
  key?: string;
  split?: string;
  fail_key: boolean;
}

export const getent: ModuleDef<GetentArgs> = {
  name: 'getent',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['database'],
    properties: { database: { type: 'string', pattern: '^[a-z]+$' }, key: { type: 'string' }, split: { type: 'string' }, fail_key: { type: 'boolean', default: true } },
  },
  async plan(a, ctx): Promise<Plan> {
    const out = await ctx.probe(`getent ${shellQuote(a.database)}${a.key !== undefined ? ' ' + shellQuote(a.key) : ''}`);
    if (out.code === 2) {
      if (a.fail_key) return { changes: [], failed: true, msg: `One or more supplied key could not be found in the database.` };
      return { changes: [], msg: 'key not found', result: { ansible_facts: { [`getent_${a.database}`]: { [a.key ?? '']: null } } } };
    }
    if (out.code !== 0) return { changes: [], failed: true, msg: `getent ${a.database} failed (rc ${out.code}): ${out.stderr.trim()}` };
    const split = a.split ?? (['passwd', 'shadow', 'group', 'gshadow'].includes(a.database) ? ':' : undefined);
    const facts: Record<string, string[]> = {};
    for (const line of out.stdout.split('\n').filter(Boolean)) {
      const parts = split === undefined ? line.split(/\s+/) : line.split(split);
      facts[parts[0]] = parts.slice(1);
    }
    return { changes: [], msg: `${Object.keys(facts).length} entries of ${a.database}`, result: { ansible_facts: { [`getent_${a.database}`]: facts } }, secrets: a.database === 'shadow' ? Object.values(facts).map((f) => f[0]).filter((s) => s && s.length > 2) : [] };
  },
};

export interface TempfileArgs {
  state: 'file' | 'directory';
  path?: string;
  prefix: string;
  suffix: string;
}

/** tempfile: a new temporary file or directory on the host (mktemp), its path in the result; changed every time, as Ansible's. */
export const tempfile: ModuleDef<TempfileArgs> = {
  name: 'tempfile',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { state: { enum: ['file', 'directory'], default: 'file' }, path: { type: 'string' }, prefix: { type: 'string', default: 'ansible.' }, suffix: { type: 'string', default: '' } },
  },
  async plan(a, ctx): Promise<Plan> {
    if (ctx.check) return { changes: [], skipped: true, msg: 'tempfile is not run in check mode: the name it would make is not known' };
    const template = `${a.prefix}XXXXXXXXXX`;
    const command = `mktemp ${a.state === 'directory' ? '-d ' : ''}${a.path ? `-p ${shellQuote(a.path)} ` : '-p "${TMPDIR:-/tmp}" '}${a.suffix ? `--suffix=${shellQuote(a.suffix)} ` : ''}${shellQuote(template)}`;
    return {
      changes: [{ kind: 'exec', command }],
      msg: `would make a temporary ${a.state}`,
      finish([out]) {
        if (out.code !== 0) return { failed: true, changed: false, msg: `mktemp failed: ${out.stderr.trim()}` };
        const p = out.stdout.trim();
        return { changed: true, msg: p, result: { path: p, state: a.state, ...(a.state === 'file' ? { size: 0 } : {}) } };
      },
    };
  },
};
