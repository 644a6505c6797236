/**
 * The recorder behind validate's verdict cache (src/util/verdict-cache.ts):
 * what a run reads is found by watching node:fs, process.env and node:os, a
 * kept verdict is replayed only while every one of those reads answers the
 * same, and a run that did anything else is not kept.
 */
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import childProcess from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { keep, record, replay, type Verdict } from '../../src/util/verdict-cache.ts';

async function inDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jf-verdict-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Records `run`, keeps its verdict under `key`, returns it. */
async function recorded(cache: string, run: () => Promise<void> | void, key = 'k'): Promise<Verdict> {
  const rec = record();
  let result;
  try {
    await run();
  } finally {
    result = rec.finish(0);
  }
  if (!('v' in result)) throw new Error(`not kept: ${result.unkept}`);
  keep(cache, key, result);
  return result;
}

const missOf = (r: ReturnType<typeof replay>) => ('miss' in r ? r.miss : 'hit');

test('verdict cache: every kind of read is recorded, and a change to any of them is a miss', async () => {
  await inDir(async (dir) => {
    const cache = path.join(dir, 'cache');
    const f = (n: string) => path.join(dir, n);
    fs.writeFileSync(f('a.yml'), 'a: 1\n');
    fs.writeFileSync(f('b.yml'), 'b: 1\n');
    fs.writeFileSync(f('c.yml'), 'c: 1\n');
    fs.mkdirSync(f('roles'));
    fs.writeFileSync(f('roles/x'), '');
    const v = await recorded(cache, async () => {
      fs.readFileSync(f('a.yml'), 'utf8');
      await fs.promises.readFile(f('b.yml'));
      await new Promise<void>((res) => fs.readFile(f('c.yml'), 'utf8', () => res()));
      fs.statSync(f('group_vars'), { throwIfNoEntry: false });
      fs.existsSync(f('library'));
      fs.readdirSync(f('roles'), { withFileTypes: true });
      void process.env.JF_TEST_SETTING;
    });
    assert.equal(v.env, { JF_TEST_SETTING: null });
    assert.equal(v.inputs.map(([op, file]) => `${op} ${path.relative(dir, file)}`).sort(), [
      'exists library',
      'readFile a.yml',
      'readFile b.yml',
      'readFile c.yml',
      'readdir roles',
      'stat group_vars',
    ]);
    assert.is(missOf(replay(cache, 'k')), 'hit');
    const changes: [string, () => void, () => void][] = [
      ['a.yml', () => fs.writeFileSync(f('a.yml'), 'a: 2\n'), () => fs.writeFileSync(f('a.yml'), 'a: 1\n')],
      ['b.yml', () => fs.writeFileSync(f('b.yml'), 'b: 2\n'), () => fs.writeFileSync(f('b.yml'), 'b: 1\n')],
      ['c.yml', () => fs.rmSync(f('c.yml')), () => fs.writeFileSync(f('c.yml'), 'c: 1\n')],
      ['group_vars', () => fs.mkdirSync(f('group_vars')), () => fs.rmdirSync(f('group_vars'))],
      ['library', () => fs.writeFileSync(f('library'), ''), () => fs.rmSync(f('library'))],
      ['roles', () => fs.writeFileSync(f('roles/y'), ''), () => fs.rmSync(f('roles/y'))],
    ];
    for (const [name, change, undo] of changes) {
      change();
      assert.match(missOf(replay(cache, 'k')), name, `a change to ${name}`);
      undo();
      // Contents, not times: the same bytes written again are a hit.
      assert.is(missOf(replay(cache, 'k')), 'hit', `${name} as it was`);
    }
    process.env.JF_TEST_SETTING = 'on';
    try {
      assert.match(missOf(replay(cache, 'k')), 'environment variable JF_TEST_SETTING changed');
    } finally {
      delete process.env.JF_TEST_SETTING;
    }
    // A variable the run did not read is not an input.
    process.env.JF_TEST_OTHER = 'on';
    try {
      assert.is(missOf(replay(cache, 'k')), 'hit');
    } finally {
      delete process.env.JF_TEST_OTHER;
    }
  });
});

test('verdict cache: the value of a variable the run read is not written down (a digest is)', async () => {
  await inDir(async (dir) => {
    process.env.JF_TEST_TOKEN = 'hunter2-not-on-disk';
    try {
      await recorded(dir, () => void process.env.JF_TEST_TOKEN);
      const text = fs.readFileSync(path.join(dir, 'k.json'), 'utf8');
      assert.ok(text.includes('JF_TEST_TOKEN'));
      assert.not.ok(text.includes('hunter2'), text);
      assert.is(missOf(replay(dir, 'k')), 'hit');
      process.env.JF_TEST_TOKEN = 'another';
      assert.match(missOf(replay(dir, 'k')), 'JF_TEST_TOKEN changed');
    } finally {
      delete process.env.JF_TEST_TOKEN;
    }
  });
});

test('verdict cache: what the run wrote is kept as bytes, stdout and stderr in their order, with its exit code', async () => {
  await inDir(async (dir) => {
    const rec = record();
    // Not UTF-8: kept as written.
    const bytes = Buffer.from('  (the verdict cache keeps this line as bytes: \xff)\n', 'latin1');
    process.stdout.write('');
    process.stderr.write(bytes);
    process.stdout.write('  (then this one, on stdout)\n');
    const v = rec.finish(1);
    assert.ok('v' in v);
    assert.equal(
      (v as Verdict).output.map(([fd, b]) => [fd, Buffer.from(b, 'base64')]),
      [
        [1, Buffer.alloc(0)],
        [2, bytes],
        [1, Buffer.from('  (then this one, on stdout)\n')],
      ],
    );
    keep(dir, 'k', v as Verdict);
    const again = replay(dir, 'k');
    assert.ok('code' in again);
    assert.is((again as { code: number }).code, 1);
  });
});

test('verdict cache: a run that spawned, wrote, read a descriptor or a pipe, or set a variable is not kept', async () => {
  await inDir(async (dir) => {
    const cases: [string, () => void, RegExp][] = [
      ['spawn', () => childProcess.spawnSync('true'), /child_process\.spawnSync/],
      ['write', () => fs.writeFileSync(path.join(dir, 'w'), 'x'), /fs\.writeFileSync/],
      ['descriptor', () => fs.readFileSync(fs.openSync(path.join(dir, 'w'), 'r')), /fs\.openSync/],
      ['stdin', () => void process.stdin, /stdin/],
      ['set', () => (process.env.JF_TEST_SET = '1'), /process\.env\.JF_TEST_SET set/],
    ];
    fs.writeFileSync(path.join(dir, 'w'), 'x');
    for (const [name, act, why] of cases) {
      const rec = record();
      try {
        act();
      } finally {
        const v = rec.finish(0);
        assert.ok('unkept' in v, name);
        assert.match((v as { unkept: string }).unkept, why);
      }
    }
    delete process.env.JF_TEST_SET;
    // A FIFO read: a replay would have to read it again.
    const fifo = path.join(dir, 'fifo');
    childProcess.execFileSync('mkfifo', [fifo]);
    const writer = childProcess.spawn('sh', ['-c', `echo hi > ${fifo}`]);
    const written = new Promise((res) => writer.on('close', res));
    const rec = record();
    await fs.promises.readFile(fifo);
    const v = rec.finish(0);
    await written;
    assert.ok('unkept' in v);
    assert.match((v as { unkept: string }).unkept, /not a regular file/);
  });
});

test('verdict cache: after finish, node:fs, process.env and the streams are the originals again', async () => {
  const before = [fs.readFileSync, fs.promises.readFile, fs.existsSync, childProcess.spawn, process.env];
  record().finish(0);
  assert.ok(before[0] === fs.readFileSync && before[1] === fs.promises.readFile && before[2] === fs.existsSync && before[3] === childProcess.spawn);
  assert.ok(before[4] === process.env);
});

test('verdict cache: a damaged or foreign kept file is a miss, not an error', async () => {
  await inDir(async (dir) => {
    fs.writeFileSync(path.join(dir, 'k.json'), '{"v":1,"inputs":[');
    assert.match(missOf(replay(dir, 'k')), /unreadable/);
    fs.writeFileSync(path.join(dir, 'k.json'), '{"v":99}');
    assert.match(missOf(replay(dir, 'k')), /another format/);
    assert.match(missOf(replay(dir, 'none')), /none kept/);
    // An operation this version does not know is a miss.
    fs.writeFileSync(path.join(dir, 'k.json'), JSON.stringify({ v: 1, inputs: [['open', '/etc/hostname', '', 'x']], env: {}, os: {}, output: [], code: 0 }));
    assert.match(missOf(replay(dir, 'k')), /changed/);
  });
});
test.run();
