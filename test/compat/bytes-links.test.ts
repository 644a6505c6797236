/**
 * Files are bytes: edits carry bytes that are not UTF-8 through unchanged,
 * copy is byte-exact, and a symlink is edited the way Ansible edits it.
 * Each case runs through real ansible-playbook and through jitsi-fleet, on
 * the same starting files; the results must be the same bytes and the same
 * link-or-file shape.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { ANSIBLE_ENV, runCli, runCommand } from '../helpers/cli.ts';

const LATIN1 = Buffer.from('# caf\xe9 cr\xe8me (latin1)\nkey=old\n\xff\xfe raw bytes\n', 'latin1');
const BINARY = Buffer.concat([randomBytes(70_000), Buffer.from([0, 0, 10, 13, 0xff]), randomBytes(5_000)]);

interface Case {
  name: string;
  /** Files to create under the case folder: bytes, or a symlink to another file of the case. */
  setup: Record<string, Buffer | { link: string }>;
  module: string;
  args: (dir: string) => Record<string, unknown>;
  /** Files whose bytes and shape are compared. */
  check: string[];
}

const CASES: Case[] = [
  {
    name: 'lineinfile on a latin1 file keeps the other bytes',
    setup: { 'f.conf': LATIN1 },
    module: 'lineinfile',
    args: (d) => ({ path: `${d}/f.conf`, regexp: '^key=', line: 'key=nouvelle valeur é' }),
    check: ['f.conf'],
  },
  {
    name: 'lineinfile matches a non-ASCII regexp as bytes',
    setup: { 'f.conf': Buffer.from('name=café\nother=1\n', 'utf8') },
    module: 'lineinfile',
    args: (d) => ({ path: `${d}/f.conf`, regexp: '^name=caf.', line: 'name=thé' }),
    check: ['f.conf'],
  },
  {
    name: 'blockinfile on a latin1 file keeps the other bytes',
    setup: { 'f.conf': LATIN1 },
    module: 'blockinfile',
    args: (d) => ({ path: `${d}/f.conf`, block: 'ünïcode block\nline 2' }),
    check: ['f.conf'],
  },
  {
    name: 'lineinfile through a symlink edits the target and keeps the link',
    setup: { 'target.conf': Buffer.from('a=1\n'), 'link.conf': { link: 'target.conf' } },
    module: 'lineinfile',
    args: (d) => ({ path: `${d}/link.conf`, line: 'b=2' }),
    check: ['link.conf', 'target.conf'],
  },
  {
    name: 'blockinfile through a symlink',
    setup: { 'target.conf': Buffer.from('a=1\n'), 'link.conf': { link: 'target.conf' } },
    module: 'blockinfile',
    args: (d) => ({ path: `${d}/link.conf`, block: 'b=2' }),
    check: ['link.conf', 'target.conf'],
  },
  {
    name: 'copy src of a binary file is byte-exact',
    setup: {},
    module: 'copy',
    args: (d) => ({ src: 'keyring.bin', dest: `${d}/keyring.gpg` }),
    check: ['keyring.gpg'],
  },
  {
    name: 'copy over a symlink (follow: no, the default)',
    setup: { 'target.conf': Buffer.from('a=1\n'), 'link.conf': { link: 'target.conf' } },
    module: 'copy',
    args: (d) => ({ content: 'new\n', dest: `${d}/link.conf` }),
    check: ['link.conf', 'target.conf'],
  },
];

let work = '';

async function prepare(root: string): Promise<void> {
  await mkdir(path.join(root, 'files'), { recursive: true });
  await writeFile(path.join(root, 'files', 'keyring.bin'), BINARY);
  for (const [i, c] of CASES.entries()) {
    const dir = path.join(root, `case${i}`);
    await mkdir(dir, { recursive: true });
    for (const [name, what] of Object.entries(c.setup)) {
      if (Buffer.isBuffer(what)) await writeFile(path.join(dir, name), what);
      else await symlink(what.link, path.join(dir, name));
    }
  }
  const tasks = CASES.map((c, i) => ({ name: `case ${i}: ${c.name}`, [c.module]: c.args(path.join(root, `case${i}`)), ignore_errors: true }));
  await writeFile(path.join(root, 'play.yml'), stringify([{ hosts: 'all', gather_facts: false, tasks }]));
}

async function shape(file: string): Promise<string> {
  const st = await lstat(file).catch(() => undefined);
  if (!st) return 'absent';
  if (st.isSymbolicLink()) return `link -> ${await readlink(file)}`;
  return `file ${(await readFile(file)).toString('base64')}`;
}

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-bytes-'));
  await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');
  await prepare(path.join(work, 'ansible'));
  await prepare(path.join(work, 'fleet'));
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the same bytes and links as ansible-playbook, case by case', async () => {
  const a = await runCommand('ansible-playbook', ['-i', path.join(work, 'hosts.ini'), path.join(work, 'ansible', 'play.yml')], { env: ANSIBLE_ENV });
  assert.is(a.code, 0, a.stdout + a.stderr);
  const j = await runCli(['run', path.join(work, 'fleet', 'play.yml'), '-i', path.join(work, 'hosts.ini')]);
  assert.is(j.code, 0, j.stdout + j.stderr);
  const wrong: string[] = [];
  for (const [i, c] of CASES.entries()) {
    for (const f of c.check) {
      const want = await shape(path.join(work, 'ansible', `case${i}`, f));
      const got = await shape(path.join(work, 'fleet', `case${i}`, f));
      if (want !== got) wrong.push(`case ${i} (${c.name}), ${f}:\n  ansible:     ${want.slice(0, 120)}\n  jitsi-fleet: ${got.slice(0, 120)}`);
    }
  }
  assert.equal(wrong, [], wrong.join('\n'));
  // And what that means, said plainly:
  const latin = await readFile(path.join(work, 'fleet', 'case0', 'f.conf'));
  assert.ok(latin.includes(Buffer.from('caf\xe9 cr\xe8me', 'latin1')), 'latin1 bytes kept');
  assert.ok(latin.includes(Buffer.from([0xff, 0xfe])), 'raw bytes kept');
  assert.ok(!latin.includes(Buffer.from('\ufffd', 'utf8')), 'no replacement character');
  assert.ok((await readFile(path.join(work, 'fleet', 'case5', 'keyring.gpg'))).equals(BINARY), 'binary copy byte-exact');
  assert.is(await shape(path.join(work, 'fleet', 'case3', 'link.conf')), 'link -> target.conf');
});

test('a binary change shows a note in the diff, not bytes', async () => {
  const dir = path.join(work, 'diff');
  await mkdir(path.join(dir, 'files'), { recursive: true });
  await writeFile(path.join(dir, 'files', 'keyring.bin'), BINARY);
  await writeFile(path.join(dir, 'play.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { src: keyring.bin, dest: ${dir}/out.gpg }\n`);
  const r = await runCli(['check', path.join(dir, 'play.yml'), '-i', path.join(work, 'hosts.ini')]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /binary content changed \(before: absent, after: 75005 bytes sha256:[0-9a-f]{16}\)/);
});

test('get_url downloads byte-exact', async () => {
  const dir = path.join(work, 'geturl');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'src.bin'), BINARY);
  await writeFile(path.join(dir, 'play.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - get_url: { url: "file://${dir}/src.bin", dest: ${dir}/got.bin }\n`);
  const r = await runCli(['run', path.join(dir, 'play.yml'), '-i', path.join(work, 'hosts.ini')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.ok((await readFile(path.join(dir, 'got.bin'))).equals(BINARY));
});

test.run();
