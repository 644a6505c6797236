/**
 * pause and package on local hosts: pause waits the time asked (and refuses a
 * prompt: runs are non-interactive); package hands the work to apt (checked
 * in check mode only: nothing is installed on the machine running the tests).
 */
import { existsSync } from 'node:fs';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { hostResult, Project, statusOf } from '../helpers/project.ts';

let p: Project;
test.before.each(async () => {
  p = await Project.create(['h1']);
});
test.after.each(async () => {
  await p.remove();
});

test('pause: waits the seconds asked; a prompt is refused with the reason', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: wait a second
      pause: { seconds: 1 }
    - name: ask a person
      pause: { prompt: "Press enter" }
      ignore_errors: true
`);
  const started = Date.now();
  const r = await p.json('play.yml');
  assert.is(r.code, 0, r.stderr);
  assert.ok(Date.now() - started >= 1000, 'it waited');
  assert.is(hostResult(r.report, 'wait a second', 'h1').msg, 'Paused for 1 seconds');
  assert.match(hostResult(r.report, 'ask a person', 'h1').msg, /non-interactive/);
});

test('package: apt does the work (an installed package is left alone; a missing one would be installed); another manager is refused', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: bash is there
      package: { name: bash, state: present }
    - name: a package not installed
      package: { name: jitsi-fleet-no-such-package, state: installed }
      ignore_errors: true
    - name: yum
      package: { name: bash, state: present, use: yum }
      ignore_errors: true
`);
  const r = await p.json('play.yml', [], 'check');
  assert.is(r.code, 0, r.stderr);
  assert.is(statusOf(r.report, 'bash is there', 'h1'), 'ok');
  assert.match(hostResult(r.report, 'bash is there', 'h1').msg, /bash already installed/);
  assert.match(hostResult(r.report, 'a package not installed', 'h1').msg, /would install jitsi-fleet-no-such-package/);
  assert.match(hostResult(r.report, 'yum', 'h1').msg, /use=yum is not supported/);
});

test('systemd where systemd is not running: daemon_reload says there is nothing to reload, state falls back to init scripts, masked is refused', async () => {
  if (existsSync('/run/systemd/system')) {
    // This machine runs systemd: the fallback cannot be seen here; a daemon-reload alone is no change.
    await p.write('reload.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: reload only\n      systemd: { daemon_reload: true }\n');
    const r = await p.json('reload.yml');
    assert.is(statusOf(r.report, 'reload only', 'h1'), 'ok');
    return;
  }
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: reload only
      systemd: { daemon_reload: true }
    - name: a unit that is not there
      ansible.builtin.systemd_service: { name: jitsi-fleet-no-such-unit, state: started, daemon_reload: true }
      ignore_errors: true
    - name: mask
      systemd: { name: cron, masked: true }
      ignore_errors: true
`);
  const r = await p.json('play.yml');
  assert.is(r.code, 0, r.stderr);
  assert.is(hostResult(r.report, 'reload only', 'h1').msg, 'nothing to do (no systemd on this host: nothing to reload)');
  assert.is(statusOf(r.report, 'reload only', 'h1'), 'ok');
  assert.match(hostResult(r.report, 'a unit that is not there', 'h1').msg, /Could not find the requested service jitsi-fleet-no-such-unit: no \/etc\/init\.d\/jitsi-fleet-no-such-unit/);
  assert.match(hostResult(r.report, 'mask', 'h1').msg, /systemd is not running on h1: a unit cannot be masked there/);
});

test.run();
