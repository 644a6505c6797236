/** key=value strings and free-form commands as Ansible parses them. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { parseKv } from '../../src/util/kv.ts';

test('a free-form script keeps its newlines (shell: |), less the options', () => {
  assert.equal(parseKv('dpkg -l | grep jvb\nif [ -f /x ]; then echo y; fi\ntrue chdir=/tmp', true, ['chdir']), {
    chdir: '/tmp',
    _raw_params: 'dpkg -l | grep jvb\nif [ -f /x ]; then echo y; fi\ntrue',
  });
  assert.equal(parseKv('echo "a b" creates=/x', true, ['creates']), { creates: '/x', _raw_params: 'echo "a b"' });
  assert.equal(parseKv('echo x=1', true, ['chdir']), { _raw_params: 'echo x=1' }, 'k=v that is no option stays in the command');
});

test('key=value arguments, quoted values', () => {
  assert.equal(parseKv('path=/etc/x line="a b" state=present'), { path: '/etc/x', line: 'a b', state: 'present' });
});

test.run();
