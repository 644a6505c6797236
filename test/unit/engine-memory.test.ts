/**
 * Engine semantics in process, over in-memory hosts: one boolean keyword
 * resolver (templated values), become resolved once per task with the file
 * cache keyed by the effective user, check-mode predictions decided by the
 * engine, exit codes decided by the CLI.
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { exitCodeOf } from '../../src/cli.ts';
import { ansibleBool, keywordBool } from '../../src/engine/keywords.ts';
import { runInMemory } from '../helpers/engine.ts';
import { MemoryHost } from '../helpers/memory-host.ts';

const INV = 'all:\n  hosts:\n    h1:\n    h2:\n  vars:\n    yes_please: true\n    no_thanks: false\n    word_no: "no"\n';
const failOn = (host: string) => (m: MemoryHost) => (m.answer = (cmd) => (cmd.includes('false') && m.host === host ? { code: 1, stdout: '', stderr: 'boom' } : { code: 0, stdout: '', stderr: '' }));

function hostsWith(setup: (m: MemoryHost) => void): Map<string, MemoryHost> {
  const hosts = new Map<string, MemoryHost>();
  for (const n of ['h1', 'h2']) {
    const m = new MemoryHost(n);
    setup(m);
    hosts.set(n, m);
  }
  return hosts;
}

test('keyword booleans: literal and templated values read with Ansible\'s rules', () => {
  const vars: Record<string, unknown> = { t: true, f: false, s_yes: 'yes', s_no: 'no', one: 1, zero: 0 };
  const lookup = (n: string) => vars[n];
  const table: [unknown, boolean][] = [
    [true, true], [false, false], ['yes', true], ['no', false], ['True', true], ['false', false], ['on', true], ['off', false], ['1', true], ['0', false], [1, true], [0, false], ['y', true], ['maybe', false],
    ['{{ t }}', true], ['{{ f }}', false], ['{{ false }}', false], ['{{ true }}', true], ['{{ s_yes }}', true], ['{{ s_no }}', false], ['{{ one }}', true], ['{{ zero }}', false], ['{{ 1 == 1 }}', true], ['{{ "no" }}', false],
  ];
  for (const [v, want] of table) assert.is(keywordBool(v, lookup), want, JSON.stringify(v));
  assert.is(ansibleBool(undefined), false);
});

test('ignore_errors: "{{ var }}" is rendered (it used to be compared as text and never ignored)', async () => {
  const play = (v: string) => `
- hosts: h1
  gather_facts: false
  tasks:
    - name: fails
      command: /bin/false
      ignore_errors: "${v}"
    - name: after
      debug: { msg: still here }
`;
  const ignored = await runInMemory(play('{{ yes_please }}'), INV, { hosts: hostsWith(failOn('h1')) });
  assert.is(ignored.code, 0);
  assert.is(ignored.outcome('fails', 'h1')?.ignored, true);
  assert.is(ignored.outcome('after', 'h1')?.status, 'ok');
  const notIgnored = await runInMemory(play('{{ no_thanks }}'), INV, { hosts: hostsWith(failOn('h1')) });
  assert.is(notIgnored.code, 2);
  assert.is(notIgnored.outcome('after', 'h1'), undefined, 'the failed host stops');
});

test('gather_facts: "{{ false }}" gathers nothing (Boolean() of the text was true)', async () => {
  const r = await runInMemory('- hosts: h1\n  gather_facts: "{{ false }}"\n  tasks:\n    - debug: { msg: x }\n', INV);
  assert.is(r.code, 0);
  assert.not.ok(r.started().includes('Gathering Facts'));
  assert.is(r.hosts.get('h1')?.commands.length ?? 0, 0, 'no command sent');
});

test('any_errors_fatal: "{{ yes_please }}" stops every host of the play', async () => {
  const r = await runInMemory(`
- hosts: all
  gather_facts: false
  any_errors_fatal: "{{ yes_please }}"
  tasks:
    - name: fails on h1
      command: /bin/false
    - name: next
      debug: { msg: x }
`, INV, { hosts: hostsWith(failOn('h1')) });
  assert.is(r.code, 2);
  assert.is(r.outcome('next', 'h2'), undefined, 'h2 stopped too');
  const lenient = await runInMemory(`
- hosts: all
  gather_facts: false
  any_errors_fatal: "{{ word_no }}"
  tasks:
    - name: fails on h1
      command: /bin/false
    - name: next
      debug: { msg: x }
`, INV, { hosts: hostsWith(failOn('h1')) });
  assert.is(lenient.outcome('next', 'h2')?.status, 'ok', '"no" is false');
});

test('run_once: "{{ yes_please }}" runs on the first host only', async () => {
  const r = await runInMemory('- hosts: all\n  gather_facts: false\n  tasks:\n    - name: once\n      command: touch /x\n      run_once: "{{ yes_please }}"\n', INV);
  assert.is(r.hosts.get('h1')?.commands.filter((c) => c.includes('touch')).length, 1);
  assert.is(r.hosts.get('h2')?.commands.filter((c) => c.includes('touch')).length ?? 0, 0);
});

test('become from a template or ansible_become: the file is read as root, not cached as unreadable for the login user', async () => {
  const hosts = hostsWith((m) => {
    m.user = 'deploy';
    m.put('/etc/secret.conf', 'a=1\n', '0600');
    m.rootOnly.add('/etc/secret.conf');
  });
  const r = await runInMemory(`
- hosts: h1
  gather_facts: false
  tasks:
    - name: as deploy, it cannot be read
      stat: { path: /etc/secret.conf }
      ignore_errors: true
    - name: edit as root
      lineinfile: { path: /etc/secret.conf, line: b=2 }
      become: "{{ yes_please }}"
`, INV, { hosts });
  assert.is(r.code, 0, JSON.stringify(r.outcome('edit as root', 'h1')));
  assert.is(r.outcome('edit as root', 'h1')?.status, 'changed');
  assert.is(hosts.get('h1')!.text('/etc/secret.conf'), 'a=1\nb=2\n');
  assert.ok(hosts.get('h1')!.reads.some((rd) => rd.as === 'root' && rd.paths.includes('/etc/secret.conf')), 'read as root');
});

test('check mode: a file an earlier unpredictable task would create is "would edit"; with no such task it fails', async () => {
  const play = (install: boolean) => `
- hosts: h1
  gather_facts: false
  tasks:
${install ? '    - name: install\n      command: apt-get install -y thing\n      args: { creates: /usr/bin/thing }\n' : ''}    - name: edit its config
      lineinfile: { path: /etc/thing.conf, line: x=1 }
`;
  const predicted = await runInMemory(play(true), INV, { check: true });
  assert.is(predicted.code, 0);
  const o = predicted.outcome('edit its config', 'h1');
  assert.is(o?.status, 'changed');
  assert.match(o?.msg ?? '', /would edit \/etc\/thing\.conf once the earlier task 'install' has run: \/etc\/thing\.conf does not exist yet/);
  assert.is(predicted.hosts.get('h1')!.writes.length, 0, 'check mode writes nothing');
  const alone = await runInMemory(play(false), INV, { check: true });
  assert.is(alone.code, 2);
  assert.match(alone.outcome('edit its config', 'h1')?.msg ?? '', /Destination \/etc\/thing\.conf does not exist/);
});

test('handlers: notified twice, run once, in definition order; a second run changes nothing', async () => {
  const hosts = hostsWith(() => {});
  const play = `
- hosts: h1
  gather_facts: false
  tasks:
    - name: one
      lineinfile: { path: /etc/a, line: x=1, create: true }
      notify: [second, first]
    - name: two
      lineinfile: { path: /etc/a, line: y=2 }
      notify: second
  handlers:
    - name: first
      command: echo first
    - name: second
      command: echo second
`;
  const r = await runInMemory(play, INV, { hosts });
  assert.is(r.code, 0);
  const started = r.started();
  assert.equal(started.slice(-2), ['first', 'second']);
  assert.is(r.result.stats.h1.changed, 4);
  const again = await runInMemory(play, INV, { hosts });
  assert.is(again.result.stats.h1.changed, 0);
  assert.not.ok(again.started().includes('first'));
});

test('exit codes are the CLI\'s decision from the run\'s result', () => {
  const base = { stats: {}, commands: {}, changed: 0, failed: false, unreachable: false, interrupted: false, internalErrors: 0 };
  assert.is(exitCodeOf(base, false), 0);
  assert.is(exitCodeOf({ ...base, changed: 2 }, false), 0);
  assert.is(exitCodeOf({ ...base, changed: 2 }, true), 3);
  assert.is(exitCodeOf({ ...base, failed: true }, true), 2);
  assert.is(exitCodeOf({ ...base, failed: true, unreachable: true }, false), 4);
  assert.is(exitCodeOf({ ...base, unreachable: true, internalErrors: 1 }, false), 70);
  assert.is(exitCodeOf({ ...base, internalErrors: 1, interrupted: true }, false), 130);
});

test.run();
