/** The hocon module's editor: the table of edits, exact output; errors with line and column; the planner. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { hoconValue, removeValue, setValue } from '../../src/hocon/edit.ts';
import { keyPath } from '../../src/modules/hocon.ts';
import { HoconSyntaxError, parseHocon } from '../../src/hocon/syntax.ts';
import { hoconCases } from '../cases/hocon-edits.ts';
import { MemoryHost } from '../helpers/memory-host.ts';
import { contentAfter, planOn } from '../helpers/plan.ts';

for (const c of hoconCases) {
  test(`hocon: ${c.name}`, () => {
    const path = keyPath(c.key);
    const out = c.state === 'absent' ? removeValue(c.before, path) : setValue(c.before, path, hoconValue(c.value));
    assert.is(out, c.after);
    parseHocon(out);
  });
}

test('a file that is not HOCON: an error with its line and column', () => {
  for (const [text, where] of [['a {\n  b = 1\n', 'line 1, column 3'], ['a {\n  PASSWORD = x@y\n}\n', 'line 2, column 15'], ['a = "open\n', 'line 1, column 5']] as const) {
    try {
      parseHocon(text);
      assert.unreachable(`no error for ${JSON.stringify(text)}`);
    } catch (e) {
      assert.instance(e, HoconSyntaxError);
      assert.match((e as Error).message, where);
    }
  }
});

test('the planner: changes only when the value differs, says why not otherwise, refuses a broken file', async () => {
  const host = new MemoryHost('mem', { '/etc/jvb.conf': hoconCases[0].before });
  const change = await planOn(host, 'hocon', { path: '/etc/jvb.conf', key: 'videobridge.websockets.enabled', value: false });
  assert.is(change.msg, 'videobridge.websockets.enabled set');
  assert.match(contentAfter(host, change, '/etc/jvb.conf')!, /enabled = false/);
  const same = await planOn(host, 'hocon', { path: '/etc/jvb.conf', key: 'videobridge.websockets.enabled', value: true });
  assert.is(same.changes.length, 0);
  assert.match(same.msg, /already has this value/);
  host.put('/etc/broken.conf', 'a {\n  PASSWORD = x@y\n}\n');
  const broken = await planOn(host, 'hocon', { path: '/etc/broken.conf', key: 'a.b', value: 1 });
  assert.is(broken.failed, true);
  assert.match(broken.msg, /cannot read \/etc\/broken\.conf as HOCON: .*line 2, column 15/);
  const missing = await planOn(host, 'hocon', { path: '/etc/none.conf', key: 'a.b', value: 1 });
  assert.is(missing.failed, true);
  assert.equal(missing.pending, { missing: '/etc/none.conf does not exist', action: 'edit /etc/none.conf' });
});

test.run();
