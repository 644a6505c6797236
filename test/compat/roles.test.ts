/**
 * Roles as Ansible runs them: a play with `roles:` (a role with defaults,
 * vars, files/, templates/, handlers and a meta dependency with parameters)
 * and `import_role` with tasks_from (test/fixtures/roles), run by real
 * ansible-playbook and by jitsi-fleet from the same start: the same files
 * (bytes and modes), the same changes, and nothing changed on a second run.
 * Variable precedence shows in the files: play vars and the inventory over
 * role defaults, role vars over the inventory. include_vars reads files from
 * the role's vars/ and the playbook's vars/.
 */
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { ANSIBLE_ENV, ROOT, runCli, runCommand } from '../helpers/cli.ts';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'roles');
const FILES = ['motd', 'app.conf', 'greeting', 'extra', 'restarted', 'included', 'extra-word'];
let work = '';

async function project(name: string): Promise<string> {
  const dir = path.join(work, name);
  await cp(FIXTURE, dir, { recursive: true });
  const out = path.join(work, `${name}-out`);
  await writeFile(path.join(dir, 'hosts.yml'), `all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      base_dir: ${out}\n      base_greeting: hello from the inventory\n      base_owner_comment: from the inventory\n`);
  return dir;
}

async function files(name: string): Promise<Record<string, string | null>> {
  const out = path.join(work, `${name}-out`);
  const entries = await Promise.all(FILES.map(async (f) => [f, await readFile(path.join(out, f), 'utf8').catch(() => null)] as const));
  const mode = await stat(out).then((s) => (s.mode & 0o777).toString(8)).catch(() => null);
  return { ...Object.fromEntries(entries), 'mode of the directory': mode };
}

async function runBoth(a: string, j: string) {
  const ar = await runCommand('ansible-playbook', ['-i', path.join(a, 'hosts.yml'), path.join(a, 'site.yml')], { env: { ...ANSIBLE_ENV, ANSIBLE_STDOUT_CALLBACK: 'json' }, cwd: a });
  assert.is(ar.code, 0, ar.stderr + ar.stdout.slice(-3000));
  const jr = await runCli(['run', path.join(j, 'site.yml'), '-i', path.join(j, 'hosts.yml'), '--output', 'json'], { cwd: j });
  assert.is(jr.code, 0, jr.stderr + jr.stdout.slice(-3000));
  return { a: JSON.parse(ar.stdout.slice(ar.stdout.indexOf('{'))), j: JSON.parse(jr.stdout) };
}

let aDir = '';
let jDir = '';
setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-roles-'));
  aDir = await project('ansible');
  jDir = await project('fleet');
});
test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('roles: the same files, modes and changes as ansible-playbook; precedence as Ansible has it', async () => {
  const { a, j } = await runBoth(aDir, jDir);
  const af = await files('ansible');
  const jf = await files('fleet');
  assert.equal(jf, af);
  assert.is(jf.motd, 'Welcome (from the role files/)\n', "copy found the role's files/");
  assert.is(jf['app.conf'], "# jitsi_base: from the role's vars\nport = 5347\n", 'role vars over the inventory; a role default');
  assert.is(jf.greeting, 'greeting = hello from the inventory\n', 'the inventory over a role default');
  assert.is(jf.restarted, 'restarted with port 5347\n', "the role's handler ran");
  assert.is(jf.included, 'read by include_vars / read by include_vars\n', 'include_vars, plain and under a name');
  assert.is(jf['extra-word'], "from the role's vars/extra.yml\n", "include_vars in a role finds the role's vars/");
  assert.is(jf['mode of the directory'], '750', "the dependency's parameter over its default");
  assert.is(j.stats.localhost.changed, a.stats.localhost.changed, 'as many changes');
});

test('roles: a second run changes nothing in either tool', async () => {
  const { a, j } = await runBoth(aDir, jDir);
  assert.is(a.stats.localhost.changed, 0);
  assert.is(j.stats.localhost.changed, 0);
});

test('a role that is not there: an error naming it and where it was looked for, before the run', async () => {
  await writeFile(path.join(jDir, 'missing.yml'), '- hosts: all\n  gather_facts: false\n  roles: [nowhere_role]\n');
  const r = await runCli(['validate', path.join(jDir, 'missing.yml'), '-i', path.join(jDir, 'hosts.yml')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /missing\.yml:3:\d+: the role 'nowhere_role' was not found/);
  assert.match(r.stderr, /looked in .*\/roles/);
});

test('include_role is dynamic, as Ansible\'s: its when is decided once (a task of the role that changes it does not skip the rest), its tags are its own', async () => {
  const dir = path.join(work, 'include-role');
  await mkdir(path.join(dir, 'roles', 'flips', 'tasks'), { recursive: true });
  await writeFile(
    path.join(dir, 'roles', 'flips', 'tasks', 'main.yml'),
    '- set_fact: { go: false }\n- debug: { msg: "show after the flip, go={{ go }}" }\n- debug: { msg: "show tagged t" }\n  tags: [t]\n',
  );
  await writeFile(path.join(dir, 'hosts.ini'), 'localhost ansible_connection=local\n');
  await writeFile(
    path.join(dir, 'play.yml'),
    '- hosts: all\n  gather_facts: false\n  vars: { go: true }\n  tasks:\n    - include_role: { name: flips }\n      when: go\n    - include_role: { name: flips }\n      tags: [t]\n',
  );
  const shownMsgs = (report: any) =>
    report.plays.flatMap((p: any) => p.tasks.map((t: any) => t.hosts.localhost?.msg).filter((m: unknown) => typeof m === 'string' && m.startsWith('show ')));
  for (const tags of [[], ['--tags', 't']]) {
    const a = await runCommand('ansible-playbook', ['-i', path.join(dir, 'hosts.ini'), path.join(dir, 'play.yml'), ...tags], { env: { ...ANSIBLE_ENV, ANSIBLE_STDOUT_CALLBACK: 'json' } });
    assert.is(a.code, 0, a.stdout.slice(-2000));
    const j = await runCli(['run', path.join(dir, 'play.yml'), '-i', path.join(dir, 'hosts.ini'), '--output', 'json', ...tags]);
    assert.is(j.code, 0, j.stdout.slice(-2000) + j.stderr);
    const want = shownMsgs(JSON.parse(a.stdout.slice(a.stdout.indexOf('{'))));
    assert.equal(want, tags.length ? ['show tagged t'] : ['show after the flip, go=False', 'show tagged t', 'show after the flip, go=False', 'show tagged t']);
    assert.equal(shownMsgs(JSON.parse(j.stdout)), want);
  }
});

test.run();
