/**
 * The bundled CLI's V8 code cache (bin/jitsi-fleet.js): written by a
 * command's first run, used (not rewritten) by the next, and never a reason
 * for a command to fail: a damaged cache is refused by V8 and written anew,
 * JITSI_FLEET_CODE_CACHE=0 neither reads nor writes one. Each case works on
 * its own copy of the bin and the bundle, so that other tests' runs do not
 * touch its cache.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { ROOT, runCommand } from '../helpers/cli.ts';

/** bin/ and dist/bundle/ copied; dist/src, node_modules and package.json seen through links. */
async function install(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(ROOT, 'dist', 'test', 'tmp-cache-'));
  try {
    await mkdir(path.join(dir, 'bin'));
    await mkdir(path.join(dir, 'dist', 'bundle'), { recursive: true });
    await copyFile(path.join(ROOT, 'bin', 'jitsi-fleet.js'), path.join(dir, 'bin', 'jitsi-fleet.js'));
    await copyFile(path.join(ROOT, 'dist', 'bundle', 'cli.cjs'), path.join(dir, 'dist', 'bundle', 'cli.cjs'));
    await symlink(path.join(ROOT, 'dist', 'src'), path.join(dir, 'dist', 'src'));
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    await symlink(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** validate, checking anew each time (a kept verdict would answer without loading the bundle at all). */
function validate(dir: string, env: Record<string, string> = {}) {
  return runCommand(process.execPath, [path.join(dir, 'bin', 'jitsi-fleet.js'), 'validate', 'playbooks/add-bridge.yml'], { env: { CI: 'true', JITSI_FLEET_VALIDATE_CACHE: '0', ...env } });
}

async function caches(dir: string): Promise<string[]> {
  return (await readdir(path.join(dir, 'dist', 'bundle'))).filter((f) => f.endsWith('.cache')).map((f) => path.join(dir, 'dist', 'bundle', f));
}

test('code cache: the first validate writes one, the next uses it as it is', async () => {
  await install(async (dir) => {
    const first = await validate(dir);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stdout, /ok: playbooks\/add-bridge.yml \(3 plays\)/);
    const [file, ...more] = await caches(dir);
    assert.ok(file, 'a cache file beside the bundle');
    assert.equal(more, []);
    assert.match(path.basename(file), /^cli\.cjs\.validate\.\d+-\d+\.cache$/);
    const before = await stat(file);
    const second = await validate(dir);
    assert.is(second.code, 0, second.stderr);
    assert.is(second.stdout, first.stdout);
    // A cache V8 refused would have been written again.
    assert.is((await stat(file)).mtimeMs, before.mtimeMs);
    assert.equal(await caches(dir), [file]);
  });
});

test('code cache: a damaged one is refused, the command works and writes it anew', async () => {
  await install(async (dir) => {
    assert.is((await validate(dir)).code, 0);
    const [file] = await caches(dir);
    const garbage = Buffer.alloc(4096, 0x5a);
    await writeFile(file, garbage);
    const r = await validate(dir);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok: playbooks\/add-bridge.yml \(3 plays\)/);
    assert.is(r.stderr, '');
    const now = await readFile(file);
    assert.not.ok(now.equals(garbage), 'the refused cache was replaced');
    assert.ok(now.length > 10_000);
  });
});

test('code cache: JITSI_FLEET_CODE_CACHE=0 writes none', async () => {
  await install(async (dir) => {
    const r = await validate(dir, { JITSI_FLEET_CODE_CACHE: '0' });
    assert.is(r.code, 0, r.stderr);
    assert.equal(await caches(dir), []);
  });
});
test.run();
