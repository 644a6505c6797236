/** key=value strings and free-form commands as Ansible parses them. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { parseKv } from '../../src/util/kv.ts';
import { keyValueLines } from '../../src/util/kv-lines.ts';

test('a free-form script keeps its newlines (shell: |), less the options', () => {
  assert.equal(parseKv('dpkg -l | grep jvb\nif [ -f /x ]; then echo y; fi\ntrue chdir=/tmp', true, ['chdir']), {
    chdir: '/tmp',
    _raw_params: 'dpkg -l | grep jvb\nif [ -f /x ]; then echo y; fi\ntrue',
  });
  assert.equal(parseKv('echo "a b" creates=/x', true, ['creates']), { creates: '/x', _raw_params: 'echo "a b"' });
  assert.equal(parseKv('echo x=1', true, ['chdir']), { _raw_params: 'echo x=1' }, 'k=v that is no option stays in the command');
});

test("free form as Ansible's split_args and join_args: a lone \\ joins lines, a script's last newline kept, runs of spaces kept, an open quote refused", () => {
  assert.equal(parseKv('echo this is a \\\n"multi line" \\\n"with a new line\nin quotes" | wc\necho second\n', true, []), {
    _raw_params: 'echo this is a "multi line" "with a new line\nin quotes" | wc\necho second\n',
  });
  assert.equal(parseKv('executable=/bin/bash\ncreates=/x\necho "test"\n', true, ['executable', 'creates']), { executable: '/bin/bash', creates: '/x', _raw_params: 'echo "test"\n' });
  assert.equal(parseKv('echo  a   b', true, []), { _raw_params: 'echo  a   b' });
  assert.equal(parseKv('echo {{ x | default("a b") }} done', true, []), { _raw_params: 'echo {{ x | default("a b") }} done' });
  assert.throws(() => parseKv('echo "open', true, []), /unbalanced jinja2 block or quotes/);
});

test('key=value arguments, quoted values', () => {
  assert.equal(parseKv('path=/etc/x line="a b" state=present'), { path: '/etc/x', line: 'a b', state: 'present' });
  // Python's escapes in values are decoded first, as Ansible's parse_kv does: \b is a backspace, \\b a word boundary.
  assert.equal(parseKv(String.raw`regexp='\b(.+)\b' other='\\b' line="tab\there" keep='\d+' replace='"\1"'`), { regexp: '\b(.+)\b', other: '\\b', line: 'tab\there', keep: '\\d+', replace: '"\\1"' });
});

test('a probe\'s NAME=value lines: the rest of the line is the value, other lines skipped, the last one wins', () => {
  const out = 'PASSWD=jvb:x:999:999::/home/jvb:/bin/false\nnoise = here\nlower=skipped\nEMPTY=\nNAME=a\nNAME=b=c\n';
  assert.equal(keyValueLines(out), { PASSWD: 'jvb:x:999:999::/home/jvb:/bin/false', EMPTY: '', NAME: 'b=c' });
});

test.run();
