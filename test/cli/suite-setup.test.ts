/**
 * What `npm test` shows: each test by name with its duration, a failure with
 * its assertion, a table of suites, the closing line. And a suite whose setup
 * fails says why, with its tests counted as failed (uvu alone shows "(0 / N)"
 * and nothing else).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { ROOT, runCommand } from '../helpers/cli.ts';

async function suites(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(ROOT, 'dist', 'test', 'tmp-suite-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const helper = (name: string) => JSON.stringify(path.join(ROOT, 'dist', 'test', 'helpers', `${name}.js`));

test('a failing setup: its error printed, every test of the suite failed, the run fails', async () => {
  await suites({
    'broken.test.js': `
import { test } from ${helper('test')};
import { setup } from ${helper('suite')};
setup(test, async () => { throw new Error('the lab could not start: no namespaces today'); });
test('one', () => {});
test('two', () => {});
test.run();
`,
  }, async (dir) => {
    const r = await runCommand(process.execPath, [path.join(ROOT, 'test', 'run.js'), path.relative(ROOT, dir)]);
    assert.is(r.code, 1, r.stdout);
    assert.match(r.stdout, /SETUP FAILED: the lab could not start: no namespaces today/);
    assert.match(r.stdout, /✘ one .*\n.*✘ two/s);
    assert.match(r.stdout, /\n0 passed, 2 failed\n/);
  });
});

test('in a terminal: names and durations, the failure with its assertion, a table of suites', async () => {
  await suites({
    'mixed.test.js': `
import { test } from ${helper('test')};
import * as assert from 'uvu/assert';
test('adds up', () => assert.is(1 + 1, 2));
test('one is two', () => assert.is(1, 2, 'one is not two'));
test.run();
`,
    'fine.test.js': `
import { test } from ${helper('test')};
test('nothing to see', () => {});
test.run();
`,
  }, async (dir) => {
    const cmd = `stty cols 120; exec ${process.execPath} ${path.join(ROOT, 'test', 'run.js')} ${path.relative(ROOT, dir)}`;
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '' } });
    const text = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    assert.is(r.status, 1, text);
    assert.match(text, /\ntmp-suite-\w+\/fine\n {2}✓ nothing to see {2}\(\d+ ms\)\n/);
    assert.match(text, / {2}✓ adds up {2}\(\d+ ms\)\n/);
    assert.match(text, / {2}✘ one is two {2}\(\d+ ms\)\n/);
    assert.match(text, /FAIL .*one is two.*\n.*one is not two/);
    assert.match(text, /\nsuite +passed +failed +time\n/);
    assert.match(text, /\/mixed +1 +1 +\d/);
    assert.match(text, /\/fine +1 +0 +\d/);
    assert.match(text, /\n1\s+passed|\n2 passed, 1 failed\n/);
    assert.not.match(text, /• •|Total:/, 'uvu\'s dots and totals are replaced');
  });
});

test.run();
