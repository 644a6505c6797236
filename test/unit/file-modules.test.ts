/** Table-driven planning tests of lineinfile, blockinfile and copy against an in-memory host. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { editCases } from '../cases/file-edits.ts';
import { MemoryHost } from '../helpers/memory-host.ts';
import { contentAfter, planOn } from '../helpers/plan.ts';

const PATH = '/etc/case.conf';

for (const c of editCases) {
  test(`${c.module}: ${c.name}`, async () => {
    const host = new MemoryHost('mem', c.initial === null ? {} : { [PATH]: c.initial });
    const key = c.module === 'copy' ? 'dest' : 'path';
    const plan = await planOn(host, c.module, { ...c.args, [key]: PATH });
    assert.is(Boolean(plan.failed), Boolean(c.expect.failed), `failed: ${plan.msg}`);
    assert.is(plan.changes.length > 0, c.expect.changed, `changed (msg: ${plan.msg})`);
    if (!c.expect.failed) assert.is(contentAfter(host, plan, PATH) ?? null, c.expect.content);
    if (c.expect.reason) assert.match(plan.msg, c.expect.reason);
    assert.is(host.writes.length, 0, 'planning never writes');
  });
}

test('lineinfile: no-op says why', async () => {
  const host = new MemoryHost('mem', { [PATH]: 'a=1\n' });
  const plan = await planOn(host, 'lineinfile', { path: PATH, line: 'a=1' });
  assert.is(plan.changes.length, 0);
  assert.is(plan.msg, `line already present in ${PATH}`);
});

test('lineinfile: mode change alone is an attributes change', async () => {
  const host = new MemoryHost('mem', { [PATH]: 'a=1\n' });
  const plan = await planOn(host, 'lineinfile', { path: PATH, line: 'a=1', mode: '0600' });
  assert.equal(plan.changes.map((c) => c.kind), ['attributes']);
  assert.match(plan.msg, /perms/);
});

test('lineinfile: an integer mode from YAML 1.1 (0644 → 420) means 0644', async () => {
  const host = new MemoryHost('mem', { [PATH]: 'a=1\n' });
  host.put(PATH, 'a=1\n', '0644');
  const plan = await planOn(host, 'lineinfile', { path: PATH, line: 'a=1', mode: 420 });
  assert.is(plan.changes.length, 0);
});

test('lineinfile: diff has before and after', async () => {
  const host = new MemoryHost('mem', { [PATH]: 'a=1\n' });
  const plan = await planOn(host, 'lineinfile', { path: PATH, regexp: '^a=', line: 'a=2' });
  assert.equal(plan.diff, [{ path: PATH, before: 'a=1\n', after: 'a=2\n' }]);
});

test('lineinfile: state=present without line fails with Ansible message', async () => {
  const host = new MemoryHost('mem', { [PATH]: 'a\n' });
  const plan = await planOn(host, 'lineinfile', { path: PATH, regexp: 'a' });
  assert.ok(plan.failed);
  assert.is(plan.msg, 'line is required with state=present');
});

test('command: skipped in check mode without creates/removes, with a reason', async () => {
  const host = new MemoryHost();
  const plan = await planOn(host, 'command', { _raw_params: 'prosodyctl reload' }, { check: true });
  assert.ok(plan.skipped);
  assert.match(plan.msg, /check mode/);
});

test('command: creates that exists means no run', async () => {
  const host = new MemoryHost('mem', { '/etc/done': '' });
  const plan = await planOn(host, 'command', { _raw_params: 'touch /etc/done', creates: '/etc/done' });
  assert.is(plan.changes.length, 0);
  assert.match(plan.msg, /exists/);
});

test('command: quotes every word; shell keeps the text', async () => {
  const host = new MemoryHost();
  const c = await planOn(host, 'command', { _raw_params: `echo "a b" 'c;d'` });
  // exec: the program itself (/bin/echo), never a shell builtin of the same name.
  assert.equal(c.changes, [{ kind: 'exec', command: `exec echo 'a b' 'c;d'`, stdin: undefined, cwd: undefined }]);
  const s = await planOn(host, 'shell', { _raw_params: 'echo $HOME | wc -c' });
  assert.is((s.changes[0] as { command: string }).command, 'echo $HOME | wc -c');
});

test('slurp reads without changing (stat runs a probe on a real shell: test/cli/more-modules)', async () => {
  const host = new MemoryHost('mem', { '/etc/x': 'JVB_SECRET=abc\n' });
  const s = await planOn(host, 'slurp', { src: '/etc/x' });
  assert.is(Buffer.from(String(s.result?.content), 'base64').toString(), 'JVB_SECRET=abc\n');
  assert.is(host.writes.length, 0);
});

test.run();
