/**
 * The file module against real Ansible's: every case of test/cases/file-states.ts
 * run by both tools from the same starting folder must leave the same tree and
 * report the same changed and failed flags, on a first and on a second run.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { fileCases } from '../cases/file-states.ts';
import { ANSIBLE_ENV, runCli, runCommand } from '../helpers/cli.ts';

let work = '';

const subst = (v: unknown, dir: string): unknown => (typeof v === 'string' ? v.replace(/\bD\//g, `${dir}/`) : v);

async function prepare(dir: string): Promise<void> {
  for (const [i, c] of fileCases.entries()) {
    const d = path.join(dir, `case${i}`);
    await mkdir(d, { recursive: true });
    const r = await runCommand('bash', ['-c', `set -e; cd ${d}; ${c.setup.replace(/\bD\//g, './')}`]);
    if (r.code !== 0) throw new Error(`setup of case ${i} failed: ${r.stderr}`);
  }
}

function playbook(dir: string): string {
  const tasks = fileCases.map((c, i) => ({
    name: `case ${i}: ${c.name}`,
    file: Object.fromEntries(Object.entries(c.args).map(([k, v]) => [k, subst(v, path.join(dir, `case${i}`))])),
    ignore_errors: true,
  }));
  return stringify([{ name: 'file states', hosts: 'all', gather_facts: false, tasks }]);
}

/** Each case folder's tree: path, kind, mode, owner, group, link target (sizes of files too), chattr flags of files and folders. */
async function trees(dir: string): Promise<string[]> {
  return Promise.all(fileCases.map(async (_, i) => (await runCommand('bash', ['-c', `cd ${path.join(dir, `case${i}`)} && { find . -mindepth 1 -printf '%P %y %m %u %g %l %s\\n'; find . -mindepth 1 \\( -type f -o -type d \\) -exec lsattr -d {} + 2>/dev/null; } | sort`])).stdout));
}

async function both(work: string) {
  const a = await runCommand('ansible-playbook', ['-i', path.join(work, 'hosts.ini'), path.join(work, 'a.yml')], { env: { ...ANSIBLE_ENV, ANSIBLE_STDOUT_CALLBACK: 'json' } });
  assert.is(a.code, 0, a.stderr + a.stdout.slice(-2000));
  const j = await runCli(['run', path.join(work, 'j.yml'), '-i', path.join(work, 'hosts.ini'), '--output', 'json']);
  assert.is(j.code, 0, j.stderr);
  return { a: JSON.parse(a.stdout.slice(a.stdout.indexOf('{'))), j: JSON.parse(j.stdout) };
}

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-file-'));
  await prepare(path.join(work, 'ansible'));
  await prepare(path.join(work, 'fleet'));
  // Relative link targets name the case folder itself: both trees must be alike apart from their root.
  await writeFile(path.join(work, 'a.yml'), playbook(path.join(work, 'ansible')));
  await writeFile(path.join(work, 'j.yml'), playbook(path.join(work, 'fleet')));
  await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

for (const round of ['first', 'second']) {
  test(`file: the ${round} run leaves the same trees and flags as Ansible's file module`, async () => {
    const { a, j } = await both(work);
    const aTrees = await trees(path.join(work, 'ansible'));
    const jTrees = await trees(path.join(work, 'fleet'));
    fileCases.forEach((c, i) => {
      const ar = a.plays[0].tasks[i].hosts.localhost;
      const jr = j.plays[0].tasks[i].hosts.localhost;
      const label = `case ${i} (${c.name}), ${round} run`;
      assert.is(jTrees[i].replaceAll(path.join(work, 'fleet'), 'ROOT'), aTrees[i].replaceAll(path.join(work, 'ansible'), 'ROOT'), `${label}: tree`);
      assert.is(jr.status === 'failed', Boolean(ar.failed), `${label}: failed (${jr.msg} / ${ar.msg})`);
      assert.is(jr.changed, Boolean(ar.changed), `${label}: changed (${jr.msg} / ${ar.msg})`);
      // The registered result: the path's attributes as read back (Ansible's add_path_info) and the module's diff.
      // Keys sorted (Ansible's JSON callback sorts them), lists sorted (a folder walk's order), times left out (they move).
      const canon = (x: unknown): unknown =>
        Array.isArray(x) ? x.map(canon).sort() : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x).filter((k) => k !== 'mtime' && k !== 'atime').sort().map((k) => [k, canon((x as Record<string, unknown>)[k])])) : x;
      const norm = (v: unknown, root: string) => JSON.stringify(canon(v))?.replaceAll(root, 'ROOT');
      for (const k of ['path', 'dest', 'src', 'state', 'mode', 'uid', 'gid', 'owner', 'group', 'size', 'diff', 'warnings']) {
        if (!(k in ar)) continue;
        assert.is(norm(jr.result?.[k], path.join(work, 'fleet')), norm(ar[k], path.join(work, 'ansible')), `${label}: result key ${k}`);
      }
    });
  });
}

test.run();
