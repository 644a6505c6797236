/**
 * Write-behind in process, over in-memory hosts: the writes of consecutive
 * tasks go out in one batch per host; a failed write is blamed on its task,
 * what the host did after it is dropped, and everything is reported in the
 * order the tasks ran. (The batch script itself runs on real hosts in the
 * cli and lab suites.)
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { runInMemory } from '../helpers/engine.ts';
import { MemoryHost } from '../helpers/memory-host.ts';

const INV = 'all:\n  hosts:\n    h1:\n    h2:\n';

function hosts(setup: (m: MemoryHost) => void = () => {}): Map<string, MemoryHost> {
  const out = new Map<string, MemoryHost>();
  for (const n of ['h1', 'h2']) {
    const m = new MemoryHost(n, { '/etc/a.conf': 'one\n' });
    setup(m);
    out.set(n, m);
  }
  return out;
}

const FOUR = `
- hosts: all
  gather_facts: false
  tasks:
    - name: t1
      copy: { dest: /etc/new.conf, content: "new\\n" }
    - name: t2
      lineinfile: { path: /etc/a.conf, line: two }
    - name: t3
      lineinfile: { path: /etc/a.conf, line: three }
    - name: t4
      copy: { dest: /etc/other.conf, content: "other\\n" }
`;

test('four writing tasks: one read and one batch per host (a file two tasks edit written once), every task reported changed, in order', async () => {
  const r = await runInMemory(FOUR, INV, { hosts: hosts() });
  assert.is(r.code, 0);
  for (const h of ['h1', 'h2']) {
    const m = r.hosts.get(h)!;
    assert.equal(m.log.map((l) => l.split(' ')[0]), ['read', 'all-or-nothing'], `${h}: ${m.log.join(' | ')}`);
    assert.equal(m.batches, [['/etc/new.conf', '/etc/a.conf', '/etc/other.conf']]);
    assert.is(m.text('/etc/a.conf'), 'one\ntwo\nthree\n', 'the second edit planned against the first');
    for (const t of ['t1', 't2', 't3', 't4']) assert.is(r.outcome(t, h)?.status, 'changed', `${t} on ${h}`);
    assert.is(r.result.stats[h].changed, 4);
  }
  const kinds = r.events.filter((e) => e.kind.startsWith('task-')).map((e) => (e.kind === 'task-result' ? `${e.kind}:${e.task}` : e.kind === 'task-start' ? `start:${e.name}` : e.kind));
  assert.equal(kinds.filter((k) => k.startsWith('start')), ['start:t1', 'start:t2', 'start:t3', 'start:t4']);
  assert.ok(kinds.indexOf('task-result:t2') > kinds.indexOf('start:t2') && kinds.indexOf('task-result:t2') < kinds.indexOf('start:t3'), kinds.join(' '));
});

test('a write that fails in the batch: its task fails on that host, later tasks are not run there, earlier writes stay', async () => {
  const r = await runInMemory(FOUR, INV, { hosts: hosts((m) => m.host === 'h1' && m.refuse.add('/etc/a.conf')) });
  assert.is(r.code, 2);
  assert.is(r.outcome('t1', 'h1')?.status, 'changed');
  assert.is(r.outcome('t2', 'h1')?.status, 'failed');
  assert.match(r.outcome('t2', 'h1')!.msg, /writing \/etc\/a\.conf failed: refused/);
  assert.is(r.outcome('t3', 'h1'), undefined, 't3 did not run on h1');
  assert.is(r.outcome('t4', 'h1'), undefined, 't4 did not run on h1');
  const h1 = r.hosts.get('h1')!;
  assert.equal(h1.log.map((l) => l.split(' ')[0]), ['read', 'all-or-nothing', 'batch'], 'the merged write wrote nothing; one by one, the failure is found at its first task');
  assert.is(h1.text('/etc/new.conf'), 'new\n');
  assert.is(h1.text('/etc/other.conf'), undefined, 'nothing after the failed write reached h1');
  assert.equal(r.result.stats.h1, { ...r.result.stats.h1, ok: 1, changed: 1, failed: 1 });
  const start3 = r.events.find((e) => e.kind === 'task-start' && e.name === 't3');
  assert.equal(start3 && start3.kind === 'task-start' ? start3.hosts : [], ['h2'], 't3 starts on h2 only');
  for (const t of ['t1', 't2', 't3', 't4']) assert.is(r.outcome(t, 'h2')?.status, 'changed', `${t} on h2`);
});

test('a loop: a failed item does not stop the other items of its task (as Ansible), the task fails', async () => {
  const play = `
- hosts: h1
  gather_facts: false
  tasks:
    - name: files
      copy: { dest: "/etc/{{ item }}", content: "x\\n" }
      loop: [f1, f2, f3]
    - name: after
      copy: { dest: /etc/after, content: "y\\n" }
`;
  const r = await runInMemory(play, INV, { hosts: hosts((m) => m.refuse.add('/etc/f2')) });
  assert.is(r.code, 2);
  const o = r.outcome('files', 'h1')!;
  assert.is(o.status, 'failed');
  assert.equal(o.items?.map((i) => i.status), ['changed', 'failed', 'changed']);
  const h1 = r.hosts.get('h1')!;
  assert.is(h1.text('/etc/f3'), 'x\n');
  assert.is(h1.text('/etc/after'), undefined);
  assert.is(r.outcome('after', 'h1'), undefined);
});

test('a command, ignore_errors and handlers: the queued writes go first, and only what was written notifies', async () => {
  const play = `
- hosts: all
  gather_facts: false
  tasks:
    - name: w1
      copy: { dest: /etc/w1, content: "1\\n" }
      notify: restart
    - name: w2
      copy: { dest: /etc/w2, content: "2\\n" }
    - name: cmd
      command: /bin/true
    - name: w3
      copy: { dest: /etc/w3, content: "3\\n" }
      notify: restart
    - name: tolerant
      copy: { dest: /etc/w4, content: "4\\n" }
      ignore_errors: true
  handlers:
    - name: restart
      command: restart-it
`;
  const r = await runInMemory(play, INV, { hosts: hosts((m) => m.host === 'h2' && m.refuse.add('/etc/w3')) });
  const h1 = r.hosts.get('h1')!;
  assert.equal(h1.log, [
    'read /etc/w1 /etc/w2 /etc/w3 /etc/w4',
    'all-or-nothing /etc/w1 /etc/w2', // before the command
    'exec exec /bin/true',
    'read /etc/w3', // the command may have changed any file
    'all-or-nothing /etc/w3', // before the task with ignore_errors, which needs its own outcome at once
    'read /etc/w4',
    'write /etc/w4',
    'exec exec restart-it',
  ]);
  const h2 = r.hosts.get('h2')!;
  assert.is(r.outcome('w3', 'h2')?.status, 'failed');
  assert.is(r.outcome('tolerant', 'h2'), undefined);
  assert.ok(!h2.commands.includes('restart-it'), 'a failed host runs no handler');
});

test('check mode queues nothing, and a run with write-behind off writes task by task', async () => {
  const c = await runInMemory(FOUR, INV, { hosts: hosts(), check: true });
  assert.is(c.code, 0);
  for (const m of c.hosts.values()) assert.equal(m.batches, []);
  const off = await runInMemory(FOUR, INV, { hosts: hosts(), writeBehind: false });
  assert.is(off.code, 0);
  for (const m of off.hosts.values()) {
    assert.equal(m.batches, []);
    assert.equal(m.writes, ['/etc/new.conf', '/etc/a.conf', '/etc/a.conf', '/etc/other.conf']);
    assert.is(m.text('/etc/a.conf'), 'one\ntwo\nthree\n');
  }
});

test.run();
