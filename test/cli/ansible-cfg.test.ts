/**
 * ansible.cfg as Ansible finds it (ANSIBLE_CONFIG, then the current folder):
 * its inventory, forks and roles_path are defaults; remote_user and become
 * are variables below the inventory's own; keys we do not use are named once;
 * a become_method other than sudo is refused with the file and line.
 */
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.ts';
import { Project } from '../helpers/project.ts';

let p: Project;
test.before.each(async () => {
  p = await Project.create(['h1', 'h2'], '    h2x: { ansible_connection: local, ansible_user: own }\n');
  await p.write('myroles/greet/tasks/main.yml', '- name: from the role\n  debug: { msg: "role says hi" }\n');
  await p.write(
    'play.yml',
    `- hosts: all
  gather_facts: false
  roles: [greet]
  tasks:
    - name: who
      debug: { msg: "{{ ansible_user | default('none') }}/{{ ansible_become | default(false) }}" }
`,
  );
});
test.after.each(async () => {
  await p.remove();
});

const report = (stdout: string) => JSON.parse(stdout);
const msgOf = (r: any, task: string, host: string) => r.plays[0].tasks.find((t: any) => t.name === task).hosts[host].msg;

test('ansible.cfg in the current folder: inventory, forks, roles_path, remote_user, become; unused keys named once', async () => {
  await p.write('ansible.cfg', '[defaults]\ninventory = hosts.yml\nforks = 1\nroles_path = ./myroles\nremote_user = deploy\ngathering = smart\nfact_caching = jsonfile\n\n[privilege_escalation]\nbecome = false\n');
  const r = await runCli(['run', 'play.yml', '--output', 'json'], { cwd: p.dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const rep = report(r.stdout);
  assert.is(msgOf(rep, 'from the role', 'h1'), 'role says hi', 'the role was found on roles_path');
  assert.is(msgOf(rep, 'who', 'h1'), 'deploy/False', 'remote_user and become as host variables');
  assert.is(msgOf(rep, 'who', 'h2x'), 'own/False', "the inventory's own ansible_user wins");
  assert.match(r.stderr, /not used by jitsi-fleet: \[defaults\] fact_caching/);
  assert.not.match(r.stderr, /gathering/, 'keys that only tune Ansible are not named');
});

test('ANSIBLE_CONFIG wins over the current folder; without a config, the inventory must be given', async () => {
  await p.write('ansible.cfg', '[defaults]\ninventory = nowhere.yml\nroles_path = myroles\n');
  await p.write('other/ansible.cfg', `[defaults]\ninventory = ${path.join(p.dir, 'hosts.yml')}\nroles_path = ${path.join(p.dir, 'myroles')}\n`);
  const r = await runCli(['run', 'play.yml', '--output', 'json'], { cwd: p.dir, env: { ANSIBLE_CONFIG: path.join(p.dir, 'other', 'ansible.cfg') } });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const bad = await runCli(['run', 'play.yml'], { cwd: p.dir });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /inventory not found: .*nowhere\.yml/, bad.stdout + bad.stderr);
});

test('become_method other than sudo: refused with the file and line', async () => {
  await p.write('ansible.cfg', '[defaults]\ninventory = hosts.yml\n\n[privilege_escalation]\nbecome = true\nbecome_method = su\n');
  const r = await runCli(['run', 'play.yml'], { cwd: p.dir });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /ansible\.cfg:6: become_method su is not supported/);
});

test.run();
