/**
 * find under real ansible-playbook and under jitsi-fleet on one local tree:
 * globs, regexes, excludes, hidden files, file types, recursion and depth,
 * size, age, contains, a missing path; the same files found (paths, modes,
 * sizes) and the same counts.
 */
import { mkdir, rm, utimes, writeFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { runTwins, twinProject } from '../helpers/twins.ts';

let work = '';

const CASES: Record<string, unknown>[] = [
  {},
  { patterns: '*.conf' },
  { patterns: ['*.conf', '*.log'], recurse: true },
  { patterns: '^app\\d+\\.log$', use_regex: true, recurse: true },
  { patterns: '*', excludes: '*.log', recurse: true },
  { hidden: true, recurse: true },
  { file_type: 'directory', recurse: true },
  { file_type: 'any' },
  { file_type: 'link' },
  { recurse: true, depth: 2 },
  { size: '1k', recurse: true },
  { size: '-10', recurse: true },
  { age: '2d', recurse: true },
  { age: '-1d', recurse: true },
  { contains: '^port\\s*=\\s*\\d+', recurse: true },
  { patterns: '[ab]*.conf' },
];

async function tree(root: string): Promise<void> {
  const t = path.join(root, 'tree');
  await mkdir(path.join(t, 'sub', 'deeper'), { recursive: true });
  await writeFile(path.join(t, 'a.conf'), 'port = 5347\n');
  await writeFile(path.join(t, 'b.conf'), 'name = x\n');
  await writeFile(path.join(t, 'app1.log'), 'x'.repeat(2048));
  await writeFile(path.join(t, '.hidden.conf'), 'port=1\n');
  await writeFile(path.join(t, 'sub', 'app22.log'), 'log\n');
  await writeFile(path.join(t, 'sub', 'c.conf'), 'port =7\n');
  await writeFile(path.join(t, 'sub', 'deeper', 'd.conf'), 'deep\n');
  await symlink('a.conf', path.join(t, 'link.conf'));
  const old = new Date(Date.now() - 5 * 86400_000);
  await utimes(path.join(t, 'b.conf'), old, old);
  await utimes(path.join(t, 'sub', 'c.conf'), old, old);
}

async function prepare(dir: string): Promise<void> {
  await tree(dir);
  const tasks = [
    ...CASES.map((args, i) => ({ name: `case ${i}`, find: { paths: path.join(dir, 'tree'), ...args }, register: `r${i}` })),
    { name: 'missing path', find: { paths: [path.join(dir, 'tree'), path.join(dir, 'nope')], patterns: 'a.*' }, register: 'missing' },
    ...CASES.map((_, i) => ({ name: `show ${i}`, debug: { msg: `{{ r${i}.files | map(attribute='path') | map('replace', '${dir}/', '') | sort | join(' ') }} | {{ r${i}.matched }} of {{ r${i}.examined }} | {{ r${i}.files | map(attribute='mode') | sort | join(',') }} | {{ r${i}.files | map(attribute='size') | sum }}` } })),
    { name: 'show missing', debug: { msg: "{{ missing.matched }} {{ missing.skipped_paths | length }}" } },
  ];
  await writeFile(path.join(dir, 'play.yml'), stringify([{ name: 'find', hosts: 'all', gather_facts: false, tasks }]));
}

setup(test, async () => {
  work = await twinProject('jf-find-', prepare);
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('find: the same files and counts as ansible-playbook, case by case', async () => {
  const { a, j } = await runTwins(work);
  const shown = (report: any, tool: 'a' | 'j') => report.plays[0].tasks.filter((t: any) => String(tool === 'a' ? t.task.name : t.name).startsWith('show')).map((t: any) => `${tool === 'a' ? t.task.name : t.name}: ${t.hosts.localhost.msg}`);
  const want = shown(a, 'a');
  assert.ok(want.length === CASES.length + 1 && want.some((m: string) => m.includes('tree/sub/c.conf')), want.join('\n'));
  assert.equal(shown(j, 'j'), want);
});

test.run();
