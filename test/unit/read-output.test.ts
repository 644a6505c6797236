/**
 * What one read command answers about paths (READ_SCRIPT in connection/shell.ts): the reading
 * user first, then each path; and what a write leaves, as the engine records it (a new file is
 * its writer's, by name and id).
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { parseReadOutput, READ_SCRIPT } from '../../src/connection/shell.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterWrite } from '../../src/engine/apply.ts';

const answer = [
  'I uid=1001(jvb) gid=1002(jitsi) groups=1002(jitsi),4(adm)',
  'A',
  'F 640 root adm 0 4',
  Buffer.from('key=1\n').toString('base64'),
  'D 755 prosody prosody 105 110',
  'E permission denied',
  '',
].join('\n');

test('the reading user and each path: absent (with who would make it), a file and a folder with owner and group by name and id', () => {
  const got = parseReadOutput(['/new', '/etc/f.conf', '/var/lib/prosody', '/root/secret'], answer);
  assert.equal(got.get('/new'), { state: 'absent', reader: { uid: 1001, gid: 1002, user: 'jvb', group: 'jitsi' } });
  assert.equal(got.get('/etc/f.conf'), { state: 'file', mode: '0640', owner: 'root', group: 'adm', uid: 0, gid: 4, content: Buffer.from('key=1\n') });
  assert.equal(got.get('/var/lib/prosody'), { state: 'directory', mode: '0755', owner: 'prosody', group: 'prosody', uid: 105, gid: 110 });
  assert.equal(got.get('/root/secret'), { state: 'unreadable', reason: 'permission denied' });
});

test('an id without a name (no passwd entry) is its own name; an answer without the reader line still reads', () => {
  const got = parseReadOutput(['/x'], 'I uid=4242 gid=4242 groups=4242\nA\n');
  assert.equal(got.get('/x'), { state: 'absent', reader: { uid: 4242, gid: 4242, user: '4242', group: '4242' } });
  assert.equal(parseReadOutput(['/x'], 'A\n').get('/x'), { state: 'absent' });
});

test('the script itself (this machine\'s sh): a path below a file is absent and under a file (ENOTDIR); below a missing folder, relative, or / plain', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'jf-read-'));
  try {
    writeFileSync(path.join(d, 'f'), 'x');
    const paths = [`${d}/f/a/b`, `${d}/f/`, `${d}/none/a`, 'no-such-relative/x', '/no-such-top', `${d}/f`];
    const out = execFileSync('/bin/sh', ['-c', READ_SCRIPT, 'sh', ...paths], { cwd: d, encoding: 'utf8', timeout: 5000 });
    const got = parseReadOutput(paths, out);
    assert.equal(paths.map((p) => { const i = got.get(p)!; return i.state === 'absent' ? `absent${i.underFile ? ' under a file' : ''}` : i.state; }), ['absent under a file', 'absent under a file', 'absent', 'absent', 'absent', 'file']);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('after a write: a new file is its writer\'s; an old one keeps its owner unless one is asked', () => {
  const content = Buffer.from('x\n');
  const made = afterWrite({ state: 'absent', reader: { uid: 1001, gid: 1002, user: 'jvb', group: 'jitsi' } }, { kind: 'write', path: '/new', content } as never);
  assert.equal({ owner: made.state === 'file' && made.owner, uid: made.state === 'file' && made.uid, gid: made.state === 'file' && made.gid }, { owner: 'jvb', uid: 1001, gid: 1002 });
  const old = { state: 'file' as const, mode: '0600', owner: 'root', group: 'adm', uid: 0, gid: 4, content };
  const kept = afterWrite(old, { kind: 'write', path: '/f', content } as never);
  assert.equal(kept.state === 'file' && [kept.owner, kept.group, kept.uid, kept.gid, kept.mode], ['root', 'adm', 0, 4, '0600']);
  const given = afterWrite(old, { kind: 'write', path: '/f', content, owner: 'prosody' } as never);
  assert.equal(given.state === 'file' && [given.owner, given.uid, given.gid], ['prosody', undefined, 4]);
});

test.run();
