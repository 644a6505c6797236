/** A suite whose setup fails says why, and its tests count as failed (uvu alone shows "(0 / N)" and nothing else). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, runCommand } from '../helpers/cli.ts';

test('a failing setup: its error printed, every test of the suite failed, the run fails', async () => {
  const dir = await mkdtemp(path.join(ROOT, 'dist', 'test', 'tmp-suite-'));
  try {
    const helper = path.join(ROOT, 'dist', 'test', 'helpers', 'suite.js');
    await writeFile(path.join(dir, 'broken.test.js'), `
import { test } from 'uvu';
import { setup } from ${JSON.stringify(helper)};
setup(test, async () => { throw new Error('the lab could not start: no namespaces today'); });
test('one', () => {});
test('two', () => {});
test.run();
`);
    const r = await runCommand(process.execPath, [path.join(ROOT, 'test', 'run.js'), path.relative(ROOT, dir)]);
    assert.is(r.code, 1, r.stdout);
    assert.match(r.stdout, /SETUP FAILED: the lab could not start: no namespaces today/);
    assert.match(r.stdout, /0 passed, 2 failed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
