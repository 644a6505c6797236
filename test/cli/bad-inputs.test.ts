/**
 * Every file in test/fixtures/bad is a broken playbook whose first line says
 * where and what: `# expect: [FILE:]LINE:COL MESSAGE-REGEX`. Each must exit 1
 * with that location and message, and never show a stack trace: in plain
 * mode and in a pseudo-terminal.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { ROOT, runCli } from '../helpers/cli.ts';
import { inPty, STACK_TRACE } from '../helpers/pty.ts';

const DIR = path.join(ROOT, 'test', 'fixtures', 'bad');

const files = (await readdir(DIR)).filter((f) => /^\d+-.*\.yml$/.test(f)).sort();

test('there are at least 20 bad inputs', () => {
  assert.ok(files.length >= 20, `${files.length} bad inputs`);
});

for (const f of files) {
  test(`bad input ${f}: exit 1 at its location, no stack trace`, async () => {
    const first = (await readFile(path.join(DIR, f), 'utf8')).split('\n')[0];
    const m = /^# expect: (?:(\S+\.yml):)?(\d+):(\d+) (.*)$/.exec(first);
    assert.ok(m, `${f} must start with '# expect: LINE:COL MESSAGE'`);
    const [, file, line, col, message] = m!;
    for (const command of [['validate', f], ['check', f]]) {
      const res = await runCli([...command, '-i', 'inventory.yml'], { cwd: DIR });
      assert.is(res.code, 1, `${command[0]}: exit code (stderr: ${res.stderr})`);
      const where = `${file ?? f}:${line}:${col}: `;
      assert.ok(res.stderr.includes(where), `${command[0]}: expected '${where}' in: ${res.stderr}`);
      assert.match(res.stderr.replace(/\n/g, ' '), new RegExp(message), `${command[0]}: message`);
      assert.not.match(res.stderr, /\n\s+at .*:\d+:\d+\)?\n/, 'no stack trace');
      assert.is(res.stdout.includes('PLAY ['), false, 'nothing ran');
    }
    // The default mode is a terminal: the same error there, one clear report, no stack trace.
    const tty = await inPty(['check', f, '-i', 'inventory.yml'], { cwd: DIR });
    assert.is(tty.code, 1, `in a terminal: exit code (${tty.text})`);
    assert.ok(tty.text.includes(`${file ?? f}:${line}:${col}: `), `in a terminal: the location in: ${tty.text}`);
    assert.match(tty.text.replace(/\r?\n/g, ' '), new RegExp(message), 'in a terminal: message');
    assert.not.match(tty.text, STACK_TRACE, 'in a terminal: no stack trace');
  });
}

test.run();
