/**
 * validate's verdict cache, through the command a user runs: a second
 * validate over unchanged files repeats the first one's answer (output and
 * exit code), and any change to what the first one read, a file it looked for
 * and did not find included, is checked anew. Each case has its own cache
 * folder (XDG_CACHE_HOME) and says what it did on stderr
 * (JITSI_FLEET_VALIDATE_CACHE=trace).
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { BIN, ROOT, runCommand } from '../helpers/cli.ts';
import { inPty, STACK_TRACE } from '../helpers/pty.ts';

const TRACE = /^validate cache: (.*)\n/gm;

async function project(fn: (dir: string, validate: (args?: string[], env?: Record<string, string>, bin?: string) => Promise<{ code: number; out: string; err: string; trace: string[] }>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jf-verdicts-'));
  try {
    await mkdir(path.join(dir, 'tasks'));
    await writeFile(path.join(dir, 'hosts.yml'), 'all:\n  hosts:\n    h1: { ansible_connection: local }\n');
    await writeFile(path.join(dir, 'main.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - import_tasks: tasks/t.yml\n');
    await writeFile(path.join(dir, 'tasks', 't.yml'), '- debug:\n    msg: "{{ greeting }}"\n');
    const validate = async (args: string[] = [], env: Record<string, string> = {}, bin = BIN) => {
      const r = await runCommand(process.execPath, [bin, 'validate', 'main.yml', '-i', 'hosts.yml', ...args], {
        cwd: dir,
        env: { CI: 'true', XDG_CACHE_HOME: path.join(dir, 'cache'), JITSI_FLEET_VALIDATE_CACHE: 'trace', ...env },
      });
      return { code: r.code, out: r.stdout, err: r.stderr.replace(TRACE, ''), trace: [...r.stderr.matchAll(TRACE)].map((m) => m[1]) };
    };
    await fn(dir, validate);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('verdict cache: the second validate repeats the first (a problem, exit 1); a new group_vars, an edited include, a variable it read: checked anew', async () => {
  await project(async (dir, validate) => {
    const first = await validate();
    assert.is(first.code, 1, first.err);
    assert.match(first.err, /tasks\/t\.yml:2:10: 'greeting' is undefined/);
    assert.equal(first.trace, ['miss: none kept for this command line', first.trace[1]]);
    assert.match(first.trace[1], /^kept \(\d+ reads, \d+ variables\)$/);

    const second = await validate();
    assert.equal(second.trace, ['hit: every file and variable it read is as it was']);
    assert.equal([second.code, second.out, second.err], [first.code, first.out, first.err]);

    // A folder the first run looked for and did not find.
    await mkdir(path.join(dir, 'group_vars'));
    await writeFile(path.join(dir, 'group_vars', 'all.yml'), 'greeting: hello\n');
    const defined = await validate();
    assert.equal(defined.trace[0], `miss: ${path.join(dir, 'group_vars')} changed (stat)`);
    assert.is(defined.code, 0, defined.err);
    assert.is(defined.out, 'ok: main.yml (1 play)\n');
    assert.equal((await validate()).trace, ['hit: every file and variable it read is as it was']);

    // An imported task file: its bytes count, not its time; broken, then as it was.
    const tasks = path.join(dir, 'tasks', 't.yml');
    const later = new Date(Date.now() + 5000);
    await utimes(tasks, later, later);
    assert.equal((await validate()).trace, ['hit: every file and variable it read is as it was'], 'touched, not changed');
    const good = await readFile(tasks);
    await writeFile(tasks, '- debug:\n    msg: "{{ greeting }}"\n    colour: red\n');
    const broken = await validate();
    assert.equal(broken.trace[0], `miss: ${tasks} changed (readFile)`);
    assert.is(broken.code, 1);
    assert.match(broken.err, /unsupported argument 'colour' for debug/);
    await writeFile(tasks, good);
    const restored = await validate();
    assert.equal(restored.trace[0], `miss: ${tasks} changed (readFile)`);
    assert.equal([restored.code, restored.out], [0, defined.out]);

    // ANSIBLE_CONFIG is read (which ansible.cfg applies); an unrelated variable is not an input.
    assert.equal((await validate([], { JF_UNRELATED: '1' })).trace, ['hit: every file and variable it read is as it was']);
    const cfg = await validate([], { ANSIBLE_CONFIG: path.join(dir, 'none.cfg') });
    assert.equal(cfg.trace[0], 'miss: environment variable ANSIBLE_CONFIG changed');
    assert.is(cfg.code, 0);
  });
});

test('verdict cache: --no-cache and JITSI_FLEET_VALIDATE_CACHE=0 check anew and keep nothing; another command line is another verdict', async () => {
  await project(async (dir, validate) => {
    const a = await validate(['--no-cache']);
    const b = await validate([], { JITSI_FLEET_VALIDATE_CACHE: '0' });
    assert.equal([a.trace, b.trace], [[], []]);
    assert.is(a.code, 1);
    assert.is(b.code, 1);
    assert.not.ok(existsSync(path.join(dir, 'cache')), 'no cache folder');
    await validate();
    const json = await validate(['--output', 'json']);
    assert.is(json.trace[0], 'miss: none kept for this command line');
    assert.is(json.code, 1);
    assert.is(JSON.parse(json.out).error.problems.length, 1);
    assert.is((await readdir(path.join(dir, 'cache', 'jitsi-fleet', 'validate'))).filter((f) => f.endsWith('.json')).length, 2);
  });
});

test('verdict cache: a damaged kept verdict is checked anew and kept again, in a terminal as in CI; a replay in a terminal shows the same screen', async () => {
  await project(async (dir, validate) => {
    await writeFile(path.join(dir, 'tasks', 't.yml'), '- debug:\n    msg: "{{ greeting | default(\'hi\') }}"\n');
    const env = { XDG_CACHE_HOME: path.join(dir, 'cache') };
    const tty1 = await inPty(['validate', 'main.yml', '-i', 'hosts.yml'], { cwd: dir, env });
    const tty2 = await inPty(['validate', 'main.yml', '-i', 'hosts.yml'], { cwd: dir, env: { ...env, JITSI_FLEET_VALIDATE_CACHE: 'trace' } });
    assert.is(tty1.code, 0, tty1.text);
    assert.match(tty2.text, /validate cache: hit/);
    assert.is(tty2.screen.replace(/validate cache: [^\n]*\n/, ''), tty1.screen);
    await validate();
    const kept = path.join(dir, 'cache', 'jitsi-fleet', 'validate');
    const files = (await readdir(kept)).filter((f) => f.endsWith('.json'));
    assert.is(files.length, 2, 'one for the terminal, one for CI');
    for (const f of files) await writeFile(path.join(kept, f), '{"v":1,"inputs":[["readFile"');
    const plain = await validate();
    assert.equal(plain.trace, ['miss: the kept verdict is unreadable', plain.trace[1]]);
    assert.match(plain.trace[1], /^kept/);
    assert.is(plain.code, 0);
    assert.is(plain.out, 'ok: main.yml (1 play)\n');
    const tty = await inPty(['validate', 'main.yml', '-i', 'hosts.yml'], { cwd: dir, env: { ...env, JITSI_FLEET_VALIDATE_CACHE: 'trace' } });
    assert.is(tty.code, 0, tty.text);
    assert.match(tty.text, /validate cache: miss: the kept verdict is unreadable\n/);
    assert.match(tty.text, /ok: main\.yml \(1 play\)/);
    assert.not.match(tty.text, STACK_TRACE);
    for (const f of (await readdir(kept)).filter((n) => n.endsWith('.json'))) JSON.parse(await readFile(path.join(kept, f), 'utf8'));
  });
});

test("verdict cache: a new build does not repeat an old build's verdict", async () => {
  const install = await mkdtemp(path.join(ROOT, 'dist', 'test', 'tmp-verdict-'));
  try {
    await mkdir(path.join(install, 'bin'));
    await mkdir(path.join(install, 'dist', 'bundle'), { recursive: true });
    await copyFile(BIN, path.join(install, 'bin', 'jitsi-fleet.js'));
    await copyFile(path.join(ROOT, 'dist', 'bundle', 'cli.cjs'), path.join(install, 'dist', 'bundle', 'cli.cjs'));
    await symlink(path.join(ROOT, 'dist', 'src'), path.join(install, 'dist', 'src'));
    await symlink(path.join(ROOT, 'node_modules'), path.join(install, 'node_modules'));
    await symlink(path.join(ROOT, 'package.json'), path.join(install, 'package.json'));
    const bin = path.join(install, 'bin', 'jitsi-fleet.js');
    await project(async (_dir, validate) => {
      await validate([], {}, bin);
      assert.equal((await validate([], {}, bin)).trace, ['hit: every file and variable it read is as it was']);
      const later = new Date(Date.now() + 5000);
      await utimes(path.join(install, 'dist', 'bundle', 'cli.cjs'), later, later);
      assert.equal((await validate([], {}, bin)).trace[0], 'miss: none kept for this command line');
    });
  } finally {
    await rm(install, { recursive: true, force: true });
  }
});

test.run();
