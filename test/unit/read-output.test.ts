/**
 * What one read command answers about paths (READ_SCRIPT in connection/shell.ts): the reading
 * user first, then each path; and what a write leaves, as the engine records it (a new file is
 * its writer's, by name and id).
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { parseReadOutput, READ_SCRIPT } from '../../src/connection/shell.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterWrite } from '../../src/engine/apply.ts';
import { LocalConnection } from '../../src/connection/local.ts';

/** An answer as READ_SCRIPT prints it: the reader, a line per path, a stat line per folder and file, the files' bytes. */
const answer = (reader: string, kinds: string[], stats: string[], bytes: string) => Buffer.concat([Buffer.from([reader, ...kinds, ...stats].map((l) => l + '\n').join('')), Buffer.from(bytes)]);

test('the reading user and each path: absent (with who would make it), files and a folder with owner and group by name and id, unreadable with why', () => {
  const got = parseReadOutput(
    ['/new', '/etc/f.conf', '/var/lib/prosody', '/root/secret', '/etc/g', '/run/fifo'],
    answer('I uid=1001(jvb) gid=1002(jitsi) groups=1002(jitsi),4(adm)', ['A', 'F', 'D', 'E permission denied', 'F', 'E not a regular file'], ['81a0 6 640 root adm 0 4', '41ed 4096 755 prosody prosody 105 110', '81a4 3 644 root root 0 0'], 'key=1\nx\0y'),
  )!;
  assert.equal(got.get('/new'), { state: 'absent', reader: { uid: 1001, gid: 1002, user: 'jvb', group: 'jitsi' } });
  assert.equal(got.get('/etc/f.conf'), { state: 'file', mode: '0640', owner: 'root', group: 'adm', uid: 0, gid: 4, content: Buffer.from('key=1\n') });
  assert.equal(got.get('/var/lib/prosody'), { state: 'directory', mode: '0755', owner: 'prosody', group: 'prosody', uid: 105, gid: 110 });
  assert.equal(got.get('/root/secret'), { state: 'unreadable', reason: 'permission denied' });
  assert.equal(got.get('/etc/g'), { state: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, content: Buffer.from('x\0y') });
  assert.equal(got.get('/run/fifo'), { state: 'unreadable', reason: 'not a regular file' });
});

test('an id without a name (no passwd entry) is its own name; no id at all reads without a reader', () => {
  assert.equal(parseReadOutput(['/x'], answer('I uid=4242 gid=4242 groups=4242', ['A'], [], ''))!.get('/x'), { state: 'absent', reader: { uid: 4242, gid: 4242, user: '4242', group: '4242' } });
  assert.equal(parseReadOutput(['/x'], answer('I ', ['A'], [], ''))!.get('/x'), { state: 'absent' });
});

test('an answer that does not hold together is no answer (the caller reads again); a single file is the bytes that came', () => {
  const two = ['/a', '/b'];
  // /a grew between stat and cat.
  assert.is(parseReadOutput(two, answer('I uid=0(root) gid=0(root)', ['F', 'F'], ['81a4 2 644 root root 0 0', '81a4 1 644 root root 0 0'], 'a\nbX')), undefined);
  // /b became a folder between the test and stat.
  assert.is(parseReadOutput(two, answer('I uid=0(root) gid=0(root)', ['F', 'F'], ['81a4 2 644 root root 0 0', '41ed 4096 755 root root 0 0'], 'a\n')), undefined);
  const one = parseReadOutput(['/log'], answer('I uid=0(root) gid=0(root)', ['F'], ['81a4 2 644 root root 0 0'], 'a\nmore\n'))!;
  assert.is(String((one.get('/log') as { content: Buffer }).content), 'a\nmore\n');
  assert.throws(() => parseReadOutput(two, answer('I uid=0(root) gid=0(root)', ['F'], [], '')), /ends early/);
});

test('the script itself (this machine\'s sh): any bytes, a folder, a FIFO not read (it would block), a path below a file is absent and under a file (ENOTDIR); below a missing folder, relative, or / plain', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'jf-read-'));
  try {
    const bytes = Buffer.from([0, 10, 255, 13, 10, 0x41]);
    writeFileSync(path.join(d, 'f'), bytes);
    writeFileSync(path.join(d, 'empty'), '');
    mkdirSync(path.join(d, 'dir'), { mode: 0o750 });
    execFileSync('mkfifo', [path.join(d, 'fifo')]);
    const paths = [`${d}/f/a/b`, `${d}/f/`, `${d}/none/a`, 'no-such-relative/x', '/no-such-top', `${d}/f`, `${d}/dir`, `${d}/fifo`, `${d}/empty`, `${d}/f`];
    const out = execFileSync('/bin/sh', ['-c', READ_SCRIPT, 'sh', ...paths], { cwd: d, timeout: 5000 });
    const got = parseReadOutput(paths, out)!;
    const shown = (p: string) => {
      const i = got.get(p)!;
      if (i.state === 'absent') return `absent${i.underFile ? ' under a file' : ''}`;
      if (i.state === 'file') return `file ${i.content.toString('hex')}`;
      if (i.state === 'directory') return `directory ${i.mode}`;
      return i.reason;
    };
    assert.equal(paths.map(shown), ['absent under a file', 'absent under a file', 'absent', 'absent', 'absent', `file ${bytes.toString('hex')}`, 'directory 0750', 'not a regular file', 'file ', `file ${bytes.toString('hex')}`]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a file that changes while it is read: each path read again on its own, a few times, then a clear error', async () => {
  const d = mkdtempSync(path.join(tmpdir(), 'jf-read-'));
  const oldPath = process.env.PATH;
  try {
    writeFileSync(path.join(d, 'log'), 'line 1\n');
    writeFileSync(path.join(d, 'conf'), 'k=v\n');
    // A cat that finds the log one line longer than stat saw it (a daemon appending).
    mkdirSync(path.join(d, 'bin'));
    writeFileSync(path.join(d, 'bin', 'cat'), `#!/bin/sh\necho appended >> ${d}/log\nexec /bin/cat "$@"\n`, { mode: 0o755 });
    process.env.PATH = `${d}/bin:${oldPath}`;
    const conn = new LocalConnection('localhost');
    const got = await conn.readFiles([`${d}/log`, `${d}/conf`]);
    assert.is(conn.commandsSent, 3);
    const text = (p: string) => String((got.get(p) as { content: Buffer }).content);
    assert.ok(text(`${d}/log`).startsWith('line 1\nappended\n'), text(`${d}/log`));
    assert.is(text(`${d}/conf`), 'k=v\n');
    // A stat that never finds the file: three tries, then why.
    writeFileSync(path.join(d, 'bin', 'stat'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const failed = await conn.readFiles([`${d}/conf`]).then(() => undefined, (e: Error) => e.message);
    assert.match(failed ?? 'no error', /reading .*conf on localhost failed: it kept changing while it was read/);
  } finally {
    process.env.PATH = oldPath;
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
