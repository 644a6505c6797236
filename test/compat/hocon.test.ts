/**
 * The hocon module against ruby-hocon, the HOCON reader the real Jitsi
 * packages depend on: for every edit of the table, ruby-hocon reads the
 * value we set (or no value, when removed) and every other key as before.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { keyPath } from '../../src/modules/hocon.ts';
import { hoconCases } from '../cases/hocon-edits.ts';

function rubyRead(file: string): Record<string, unknown> {
  const r = spawnSync('ruby', ['-e', 'require "hocon"; require "json"; puts JSON.generate(Hocon.load(ARGV[0]))', file], { encoding: 'utf8', env: { ...process.env, HOME: '/home/x' } });
  if (r.status !== 0) throw new Error(`ruby-hocon cannot read ${file} (test/setup.sh installs ruby-hocon): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function setIn(obj: Record<string, unknown>, p: string[], value: unknown): void {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (value === undefined && !(k in cur)) return;
    cur = (cur[k] ??= {}) as Record<string, unknown>;
  }
  if (value === undefined) delete cur[p[p.length - 1]];
  else cur[p[p.length - 1]] = value;
}

test('ruby-hocon reads every edit as meant, and every other key as before', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'jf-hocon-'));
  try {
    const wrong: string[] = [];
    for (const [i, c] of hoconCases.entries()) {
      const before = path.join(dir, `before${i}.conf`);
      const after = path.join(dir, `after${i}.conf`);
      await writeFile(before, c.before);
      await writeFile(after, c.after);
      const want = rubyRead(before);
      setIn(want, keyPath(c.key), c.state === 'absent' ? undefined : c.value);
      const got = rubyRead(after);
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${c.name}:\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
    }
    assert.equal(wrong, [], wrong.join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
