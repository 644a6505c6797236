/**
 * The same table of HOCON edits through ansible-playbook (with the Ansible
 * module shipped in playbooks/library/hocon.py) and through jitsi-fleet:
 * the same bytes, the expected bytes, and the same changed flags, so that a
 * playbook using `hocon` runs under both with the same result.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { ANSIBLE_ENV, ROOT, runCli, runCommand } from '../helpers/cli.ts';
import { hoconCases } from '../cases/hocon-edits.ts';

test('ansible-playbook with library/hocon.py and jitsi-fleet leave the same bytes and report the same changes', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'jf-hocon-ansible-'));
  try {
    const prepare = async (dir: string) => {
      await mkdir(dir, { recursive: true });
      await Promise.all(hoconCases.map((c, i) => writeFile(path.join(dir, `case${i}.conf`), c.before)));
      const tasks = hoconCases.map((c, i) => ({
        name: `case ${i}`,
        hocon: { path: path.join(dir, `case${i}.conf`), key: c.key, ...(c.state ? { state: c.state } : { value: c.value }) },
      }));
      await writeFile(path.join(dir, 'play.yml'), stringify([{ hosts: 'all', gather_facts: false, tasks }]));
    };
    await prepare(path.join(work, 'ansible'));
    await prepare(path.join(work, 'fleet'));
    await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');
    const a = await runCommand('ansible-playbook', ['-i', path.join(work, 'hosts.ini'), path.join(work, 'ansible', 'play.yml')], {
      env: { ...ANSIBLE_ENV, ANSIBLE_LIBRARY: path.join(ROOT, 'playbooks', 'library'), ANSIBLE_STDOUT_CALLBACK: 'json' },
    });
    assert.is(a.code, 0, a.stdout + a.stderr);
    const aReport = JSON.parse(a.stdout.slice(a.stdout.indexOf('{')));
    const j = await runCli(['run', path.join(work, 'fleet', 'play.yml'), '-i', path.join(work, 'hosts.ini'), '--output', 'json']);
    assert.is(j.code, 0, j.stdout + j.stderr);
    const jReport = JSON.parse(j.stdout);
    const wrong: string[] = [];
    for (const [i, c] of hoconCases.entries()) {
      const ansible = await readFile(path.join(work, 'ansible', `case${i}.conf`), 'utf8');
      const fleet = await readFile(path.join(work, 'fleet', `case${i}.conf`), 'utf8');
      if (ansible !== c.after) wrong.push(`case ${i} (${c.name}): ansible wrote ${JSON.stringify(ansible)}`);
      if (fleet !== c.after) wrong.push(`case ${i} (${c.name}): jitsi-fleet wrote ${JSON.stringify(fleet)}`);
      const aChanged = aReport.plays[0].tasks[i].hosts.localhost.changed;
      const jChanged = jReport.plays[0].tasks[i].hosts.localhost.changed;
      if (aChanged !== jChanged || aChanged !== (c.before !== c.after)) wrong.push(`case ${i} (${c.name}): changed ansible=${aChanged} jitsi-fleet=${jChanged}`);
    }
    assert.equal(wrong, [], wrong.join('\n'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test.run();
