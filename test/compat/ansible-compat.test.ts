/**
 * The same playbook, run by real ansible-playbook and by jitsi-fleet on
 * files with the same starting content: the resulting bytes and the changed
 * and failed flags must be equal for every case of the table.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { editCases } from '../cases/file-edits.ts';
import { ANSIBLE_ENV, runCli, runCommand } from '../helpers/cli.ts';

let work = '';

async function prepare(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(editCases.map((c, i) => (c.initial === null ? Promise.resolve() : writeFile(path.join(dir, `case${i}`), c.initial))));
}

function playbook(dir: string): string {
  const tasks = editCases.map((c, i) => ({
    name: `case ${i}: ${c.name}`,
    [c.module]: { ...c.args, [c.module === 'copy' ? 'dest' : 'path']: path.join(dir, `case${i}`) },
    ignore_errors: true,
  }));
  return stringify([{ name: 'file edits', hosts: 'all', gather_facts: false, tasks }]);
}

async function contents(dir: string): Promise<(string | null)[]> {
  return Promise.all(editCases.map((_, i) => readFile(path.join(dir, `case${i}`), 'utf8').catch(() => null)));
}

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-compat-'));
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('lineinfile/blockinfile/copy equal real Ansible on the whole table', async () => {
  const which = await runCommand('sh', ['-c', 'command -v ansible-playbook']);
  assert.is(which.code, 0, 'ansible-playbook must be installed (test/setup.sh installs ansible-core)');
  const aDir = path.join(work, 'ansible');
  const jDir = path.join(work, 'fleet');
  await prepare(aDir);
  await prepare(jDir);
  await writeFile(path.join(work, 'a.yml'), playbook(aDir));
  await writeFile(path.join(work, 'j.yml'), playbook(jDir));
  await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');

  const a = await runCommand('ansible-playbook', ['-i', path.join(work, 'hosts.ini'), path.join(work, 'a.yml')], { env: { ...ANSIBLE_ENV, ANSIBLE_STDOUT_CALLBACK: 'json' } });
  assert.is(a.code, 0, a.stderr);
  const aReport = JSON.parse(a.stdout.slice(a.stdout.indexOf('{')));
  const j = await runCli(['run', path.join(work, 'j.yml'), '-i', path.join(work, 'hosts.ini'), '--output', 'json']);
  assert.is(j.code, 0, j.stderr);
  const jReport = JSON.parse(j.stdout);

  const aFiles = await contents(aDir);
  const jFiles = await contents(jDir);
  editCases.forEach((c, i) => {
    const ar = aReport.plays[0].tasks[i].hosts.localhost;
    const jr = jReport.plays[0].tasks[i].hosts.localhost;
    const label = `case ${i} (${c.module}: ${c.name})`;
    assert.is(jFiles[i], aFiles[i], `${label}: file content`);
    assert.is(jr.changed, Boolean(ar.changed), `${label}: changed`);
    assert.is(jr.status === 'failed', Boolean(ar.failed), `${label}: failed (${jr.msg} / ${ar.msg})`);
  });
});

test('a second run of the same playbook changes nothing in either tool', async () => {
  const a = await runCommand('ansible-playbook', ['-i', path.join(work, 'hosts.ini'), path.join(work, 'a.yml')], { env: { ...ANSIBLE_ENV, ANSIBLE_STDOUT_CALLBACK: 'json' } });
  const aReport = JSON.parse(a.stdout.slice(a.stdout.indexOf('{')));
  const j = await runCli(['run', path.join(work, 'j.yml'), '-i', path.join(work, 'hosts.ini'), '--output', 'json']);
  const jReport = JSON.parse(j.stdout);
  assert.is(aReport.stats.localhost.changed, 0);
  assert.is(jReport.stats.localhost.changed, 0);
});

test.run();
