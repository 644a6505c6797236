/**
 * copy with a directory as src, under real ansible-playbook and under
 * jitsi-fleet on localhost: `src: dir/` (its contents into dest) and
 * `src: dir` (the folder itself), with nested and empty folders, mode and
 * directory_mode, symlinks (followed, circles, broken, local_follow false);
 * the same trees (paths, kinds, modes, bytes, link targets) and changed
 * flags, then a second run that changes nothing; and remote_src folders
 * (copied on the host itself: new, merged, links kept or skipped).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, readlink, rm, writeFile, mkdir, lstat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { runTwins, twinProject } from '../helpers/twins.ts';

let work = '';

async function prepare(dir: string): Promise<void> {
  const src = path.join(dir, 'files', 'conf.d');
  await mkdir(path.join(src, 'sub'), { recursive: true });
  await mkdir(path.join(src, 'empty'), { recursive: true });
  await writeFile(path.join(src, 'a.conf'), 'a = 1\n');
  await writeFile(path.join(src, 'sub', 'b.conf'), Buffer.from([0x62, 0xe9, 0x0a]));
  // Symlinks: to a file, broken, back up into the tree (a circle), and to a folder outside it.
  await mkdir(path.join(dir, 'extdir'), { recursive: true });
  await writeFile(path.join(dir, 'extdir', 'x.conf'), 'x = 1\n');
  await symlink('a.conf', path.join(src, 'to-a'));
  await symlink('nowhere', path.join(src, 'broken'));
  await symlink('..', path.join(src, 'sub', 'up'));
  await symlink('../../extdir', path.join(src, 'ext'));
  await mkdir(path.join(dir, 'out', 'existing'), { recursive: true });
  await writeFile(path.join(dir, 'out', 'existing', 'a.conf'), 'a = 1\n');
  const out = (p: string) => path.join(dir, 'out', p);
  const tasks = [
    { name: 'contents into a new folder', copy: { src: 'conf.d/', dest: out('contents/') } },
    { name: 'the folder itself, with modes', copy: { src: 'conf.d', dest: out('itself'), mode: '0640', directory_mode: '0750' } },
    { name: 'into a folder that has one file already', copy: { src: 'conf.d/', dest: out('existing') } },
    { name: 'links kept as links (local_follow false)', copy: { src: 'conf.d/', dest: out('nofollow/'), local_follow: false } },
    // remote_src: the folder is on the managed host (here the same machine); links kept or skipped as Ansible's module does.
    { name: 'on the host: contents into a new folder', copy: { src: `${src}/`, dest: out('r-contents'), remote_src: true } },
    { name: 'on the host: the folder into a missing one', copy: { src, dest: out('r-new'), remote_src: true } },
    { name: 'on the host: the folder into an existing one, links as links', copy: { src, dest: out('existing'), remote_src: true, local_follow: false, mode: '0750' } },
    { name: 'on the host: contents over what is there', copy: { src: `${src}/`, dest: out('existing'), remote_src: true } },
  ];
  await writeFile(path.join(dir, 'play.yml'), stringify([{ name: 'copy dirs', hosts: 'all', gather_facts: false, tasks }]));
}

/** Every path under out/: kind, mode and the bytes' sha256. */
async function tree(dir: string): Promise<string[]> {
  const rows: string[] = [];
  const walk = async (rel: string) => {
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const r = path.join(rel, name);
      const st = await lstat(path.join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) rows.push(`${r} -> ${await readlink(path.join(dir, r))}`);
      else if (st.isDirectory()) {
        rows.push(`${r}/ ${mode}`);
        await walk(r);
      } else rows.push(`${r} ${mode} ${createHash('sha256').update(await readFile(path.join(dir, r))).digest('hex').slice(0, 12)}`);
    }
  };
  await walk('');
  return rows;
}


const changed = (report: any, key: 'a' | 'j') => report.plays[0].tasks.map((t: any) => (key === 'a' ? Boolean(t.hosts.localhost.changed) : t.hosts.localhost.changed));

setup(test, async () => {
  work = await twinProject('jf-copydir-', prepare);
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('copy of a folder: the same tree and changed flags as ansible-playbook', async () => {
  const { a, j } = await runTwins(work);
  assert.equal(changed(j, 'j'), changed(a, 'a'));
  const [ta, tj] = await Promise.all([tree(path.join(work, 'ansible', 'out')), tree(path.join(work, 'fleet', 'out'))]);
  assert.ok(ta.some((r) => r.startsWith('itself/conf.d/sub/b.conf')), `ansible copied the folder itself: ${ta.join(', ')}`);
  assert.ok(ta.includes('itself/conf.d/sub/up -> ..') && ta.some((r) => r.startsWith('itself/conf.d/ext/x.conf')), `circles kept as links, an outside folder walked: ${ta.join(', ')}`);
  assert.ok(ta.includes('nofollow/to-a -> a.conf'), `local_follow false keeps links: ${ta.join(', ')}`);
  assert.equal(tj, ta);
});

test('a second run changes nothing under either tool (but the one change Ansible always reports)', async () => {
  const { a, j } = await runTwins(work);
  // Ansible's module reports a change for a remote folder whose links it skips (local_follow unset): every time.
  const expected = [false, false, false, false, false, true, false, false];
  assert.equal(changed(a, 'a'), expected, `ansible-playbook: ${JSON.stringify(changed(a, 'a'))}`);
  assert.equal(changed(j, 'j'), expected, `jitsi-fleet: ${JSON.stringify(changed(j, 'j'))}`);
});

test.run();
