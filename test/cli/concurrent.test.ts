/**
 * Two runs at once against the same host: no run may overwrite a change it
 * did not see (the write checks the file is still what the plan was made
 * from, and plans again), and the per-host run lock says who holds it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { BIN } from '../helpers/cli.ts';
import { Project } from '../helpers/project.ts';

let p: Project;
setup(test, async () => {
  p = await Project.create(['h1']);
});
test.after(async () => {
  await p.remove();
});

function run(args: string[]): { done: Promise<{ code: number; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: 'true' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))) };
}

const addLine = (line: string) => `
- hosts: h1
  gather_facts: false
  tasks:
    - name: add ${line}
      lineinfile: { path: "{{ files }}/shared.conf", line: "${line}", create: true }
`;

test('two runs at once, each adding a line to one file: both lines kept, every time (no lock: the stale-write check)', async () => {
  await p.write('a.yml', addLine('from-a'));
  await p.write('b.yml', addLine('from-b'));
  const inv = path.join(p.dir, 'hosts.yml');
  const lost: number[] = [];
  for (let i = 0; i < 8; i++) {
    await p.write('files-area/shared.conf', '# shared\n');
    const a = run(['run', path.join(p.dir, 'a.yml'), '-i', inv, '--no-lock']);
    const b = run(['run', path.join(p.dir, 'b.yml'), '-i', inv, '--no-lock']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.is(ra.code, 0, ra.stdout + ra.stderr);
    assert.is(rb.code, 0, rb.stdout + rb.stderr);
    const text = await p.read('shared.conf');
    if (!text?.includes('from-a\n') || !text?.includes('from-b\n')) lost.push(i);
  }
  assert.equal(lost, [], `a line was lost in tries ${lost.join(', ')}`);
});

test('the run lock: a second run fails at once naming the holder (--lock-wait 0), or waits and then runs', async () => {
  await p.write('hold.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - copy: { dest: "{{ files }}/held", content: "x\\n" }
    - command: sleep 8
`);
  await p.write('other.yml', addLine('from-other'));
  const inv = path.join(p.dir, 'hosts.yml');
  const holder = run(['run', path.join(p.dir, 'hold.yml'), '-i', inv]);
  // The holder has its lock once it has written (generous: a loaded machine starts node slowly).
  for (let i = 0; i < 300 && (await p.read('held')) === null; i++) await new Promise((r) => setTimeout(r, 50));
  assert.is(await p.read('held'), 'x\n', 'the holder wrote within 15 s');
  const refused = await run(['run', path.join(p.dir, 'other.yml'), '-i', inv, '--lock-wait', '0']).done;
  assert.is(refused.code, 4, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /h1 is locked by another jitsi-fleet run \(pid \d+ on \S+ by \S+, since 20\d\d-\d\d-\d\dT[\d:]+Z, playbook hold\.yml\); wait for it with --lock-wait SECONDS/);
  assert.not.match(await p.read('shared.conf') ?? '', /from-other/, 'the refused run wrote nothing');
  const checkMode = await run(['check', path.join(p.dir, 'other.yml'), '-i', inv, '--lock-wait', '0']).done;
  assert.is(checkMode.code, 0, 'check mode writes nothing and takes no lock');
  const waited = await run(['run', path.join(p.dir, 'other.yml'), '-i', inv, '--lock-wait', '40']).done;
  assert.is(waited.code, 0, waited.stdout + waited.stderr);
  assert.match(waited.stdout, /\[WARNING\] \[h1\] h1 is locked by another jitsi-fleet run \(pid \d+.*playbook hold\.yml\); waiting up to 40 s/);
  assert.match(await p.read('shared.conf') ?? '', /from-other/);
  assert.is((await holder.done).code, 0);
});

test('two runs over the same hosts in opposite orders do not deadlock: every lock is taken before the first write', async () => {
  const play = (first: string, second: string) => `
- hosts: ${first}
  gather_facts: false
  tasks:
    - lineinfile: { path: "{{ files }}/order-{{ inventory_hostname }}", line: "${first}-first", create: true }
    - command: sleep 1
- hosts: ${second}
  gather_facts: false
  tasks:
    - lineinfile: { path: "{{ files }}/order-{{ inventory_hostname }}", line: "${first}-first", create: true }
`;
  const q = await Project.create(['h1', 'h2']);
  try {
    await q.write('ab.yml', play('h1', 'h2'));
    await q.write('ba.yml', play('h2', 'h1'));
    const inv = path.join(q.dir, 'hosts.yml');
    const [a, b] = await Promise.all([run(['run', path.join(q.dir, 'ab.yml'), '-i', inv, '--lock-wait', '20']).done, run(['run', path.join(q.dir, 'ba.yml'), '-i', inv, '--lock-wait', '20']).done]);
    assert.is(a.code, 0, a.stdout + a.stderr);
    assert.is(b.code, 0, b.stdout + b.stderr);
    for (const h of ['h1', 'h2']) assert.is((await q.read(`order-${h}`))?.split('\n').filter(Boolean).sort().join(','), 'h1-first,h2-first');
  } finally {
    await q.remove();
  }
});

test.run();
