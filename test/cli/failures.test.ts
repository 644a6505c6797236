/**
 * Every failure path, in the three output modes a person meets: the live
 * view in a terminal (a real pseudo-terminal), plain lines (CI), and JSON.
 * Each must end with the right exit code, say what went wrong, print the
 * recap where a run started, and never show a stack trace.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { BIN } from '../helpers/cli.ts';
import { Project } from '../helpers/project.ts';
import { inPty, STACK_TRACE } from '../helpers/pty.ts';

let p: Project;
setup(test, async () => {
  p = await Project.create(['h1', 'h2'], '    gone: { ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1 }\n');
  await p.write('failed.yml', `
- hosts: h1:h2
  gather_facts: false
  tasks:
    - name: boom
      command: /bin/false
      when: inventory_hostname == 'h1'
    - name: after
      debug: { msg: still here }
`);
  await p.write('unreachable.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: touch
      copy: { dest: "{{ files }}/{{ inventory_hostname }}.touched", content: "x\\n" }
`);
  await p.write('runtime-input.yml', `
- hosts: h1
  gather_facts: false
  vars: { where: 5 }
  tasks:
    - name: path is a number after templating
      lineinfile: { path: "{{ where }}", line: x }
`);
  await p.write('hosts-template.yml', `
- hosts: "{{ bridges_group }}"
  gather_facts: false
  tasks:
    - debug: { msg: x }
`);
  await p.write('slow.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: slow
      command: sleep 2
    - name: never starts
      copy: { dest: "{{ files }}/should-not-exist", content: "x\\n" }
`);
  await p.write('batch-fail.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: first write
      copy: { dest: "{{ files }}/batch-1", content: "1\\n" }
    - name: second write
      copy: { dest: "{{ files }}/no-such-dir/batch-2", content: "2\\n" }
    - name: third write
      copy: { dest: "{{ files }}/batch-3", content: "3\\n" }
`);
  await p.write('merged-fail.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: line x
      lineinfile: { path: "{{ files }}/merged.conf", line: x, create: true }
    - name: into a missing folder
      copy: { dest: "{{ files }}/no-such-dir/m", content: "m\\n" }
    - name: line y
      lineinfile: { path: "{{ files }}/merged.conf", line: y }
`);
  await p.write('huge.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: asks for too much
      debug: { msg: "{{ range(10**10) | list | length }}" }
`);
});
test.after(async () => {
  await p.remove();
});

const inv = () => path.join(p.dir, 'hosts.yml');
const pb = (name: string) => path.join(p.dir, name);

interface Case {
  name: string;
  playbook: string;
  code: number;
  says: RegExp;
  recap: boolean;
  env?: Record<string, string>;
}

const CASES: Case[] = [
  { name: 'a task failed', playbook: 'failed.yml', code: 2, says: /boom.*non-zero return code 1/, recap: true },
  { name: 'a host unreachable', playbook: 'unreachable.yml', code: 4, says: /gone.*connection refused/, recap: true },
  { name: 'bad input found at run time', playbook: 'runtime-input.yml', code: 2, says: /after templating/, recap: true },
  { name: 'a template error in hosts:', playbook: 'hosts-template.yml', code: 1, says: /hosts-template\.yml:2:10: the play's hosts: 'bridges_group' is undefined/, recap: false },
  { name: 'a write refused in a batch of writes', playbook: 'batch-fail.yml', code: 2, says: /second write.*directory \S*no-such-dir does not exist/, recap: true },
  { name: 'a write refused between two edits of one file (a merged write)', playbook: 'merged-fail.yml', code: 2, says: /into a missing folder.*directory \S*no-such-dir does not exist/, recap: true },
  { name: 'a template asking for more than memory holds', playbook: 'huge.yml', code: 2, says: /range\(0, 10000000000\) would make 10000000000 items/, recap: true },
  { name: 'a bug while a task plans', playbook: 'failed.yml', code: 70, says: /internal error: injected fault at 'task'.*This is a bug in jitsi-fleet/, recap: true, env: { JITSI_FLEET_FAULT: 'task' } },
  { name: 'a bug in the play loop', playbook: 'failed.yml', code: 70, says: /internal error in task 'boom' at .*failed\.yml:5:7: injected fault at 'engine'.*This is a bug/, recap: false, env: { JITSI_FLEET_FAULT: 'engine' } },
];

for (const c of CASES) {
  test(`${c.name}: in a terminal (live view), exit ${c.code}, no stack trace`, async () => {
    const r = await inPty(['run', pb(c.playbook), '-i', inv()], { env: c.env });
    assert.is(r.code, c.code, r.text);
    assert.match(r.text.replace(/\n/g, ' '), c.says);
    if (c.recap) assert.match(r.text, /RECAP\n/);
    assert.not.match(r.text, STACK_TRACE, 'no stack trace');
    assert.not.match(r.text, /\n\s+at [^\n]*\.js:\d+/, 'no stack frame');
  });

  test(`${c.name}: plain lines and JSON, exit ${c.code}`, async () => {
    const plain = await p.run(c.playbook, [], 'run').then((x) => x);
    const env = c.env ?? {};
    const res = c.env ? await runWith(['run', pb(c.playbook), '-i', inv()], env) : plain;
    assert.is(res.code, c.code, res.stdout + res.stderr);
    assert.match((res.stdout + res.stderr).replace(/\n/g, ' '), c.says);
    if (c.recap) assert.match(res.stdout, /\nRECAP\n/);
    assert.not.match(res.stdout + res.stderr, STACK_TRACE);
    const json = await runWith(['run', pb(c.playbook), '-i', inv(), '--output', 'json'], env);
    assert.is(json.code, c.code, json.stderr);
    assert.not.match(json.stdout + json.stderr, STACK_TRACE);
    if (c.recap) {
      const report = JSON.parse(json.stdout);
      assert.ok(report.stats.h1, 'the report has the recap');
    }
  });
}

function runWith(args: string[], env: Record<string, string>, signalAfter?: number): Promise<{ code: number; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (signalAfter !== undefined) setTimeout(() => child.kill('SIGINT'), signalAfter);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
}

test('a write refused in a batch: the first file is written, the third task never runs, the second is blamed (JSON)', async () => {
  const { rm, readFile } = await import('node:fs/promises');
  const { existsSync } = await import('node:fs');
  await rm(path.join(p.files, 'batch-1'), { force: true });
  const json = await runWith(['run', pb('batch-fail.yml'), '-i', inv(), '--output', 'json'], {});
  assert.is(json.code, 2, json.stderr);
  const report = JSON.parse(json.stdout);
  const tasks = report.plays[0].tasks.map((t: { name: string; hosts: Record<string, { status: string }> }) => [t.name, t.hosts.h1?.status]);
  assert.equal(tasks.filter(([, s]: [string, string | undefined]) => s !== undefined), [['first write', 'changed'], ['second write', 'failed']]);
  assert.is(await readFile(path.join(p.files, 'batch-1'), 'utf8'), '1\n');
  assert.not.ok(existsSync(path.join(p.files, 'batch-3')), 'the third write never reached the host');
  assert.equal(report.stats.h1, { ...report.stats.h1, changed: 1, failed: 1 });
  assert.is(report.commands.h1, 3, 'one read, the writes all or nothing (nothing renamed), then one by one');
});

test('one file edited by two tasks around a refused write: nothing of the merged write lands, then one by one the first task\'s edit is kept and the refused task blamed', async () => {
  const { readFile, writeFile } = await import('node:fs/promises');
  await writeFile(path.join(p.files, 'merged.conf'), 'seed\n');
  const json = await runWith(['run', pb('merged-fail.yml'), '-i', inv(), '--output', 'json'], {});
  assert.is(json.code, 2, json.stderr);
  const report = JSON.parse(json.stdout);
  const ran = report.plays[0].tasks.flatMap((t: { name: string; hosts: Record<string, { status: string }> }) => (t.hosts.h1 ? [[t.name, t.hosts.h1.status]] : []));
  assert.equal(ran, [['line x', 'changed'], ['into a missing folder', 'failed']]);
  assert.is(await readFile(path.join(p.files, 'merged.conf'), 'utf8'), 'seed\nx\n', 'the first edit only: line y never ran');
  assert.is(report.commands.h1, 3, 'one read, the merged write (nothing renamed), the writes one by one');
});

test('Ctrl-C in a terminal: the running task ends, nothing new starts, recap, exit 130', async () => {
  const r = await inPty(['run', pb('slow.yml'), '-i', inv()], { ctrlC: 1000 });
  assert.is(r.code, 130, r.text);
  assert.match(r.text, /interrupted/);
  assert.match(r.text, /RECAP\n/);
  assert.not.match(r.text, STACK_TRACE);
  assert.is(await p.read('should-not-exist'), null, 'no task started after Ctrl-C');
});

test('Ctrl-C (SIGINT) in plain and JSON modes: recap, exit 130', async () => {
  const plain = await runWith(['run', pb('slow.yml'), '-i', inv()], {}, 1000);
  assert.is(plain.code, 130, plain.stdout + plain.stderr);
  assert.match(plain.stdout, /\nRECAP\n/);
  const json = await runWith(['run', pb('slow.yml'), '-i', inv(), '--output', 'json'], {}, 1000);
  assert.is(json.code, 130, json.stderr);
  assert.is(JSON.parse(json.stdout).interrupted, true);
  assert.is(await p.read('should-not-exist'), null);
});

test('the live view in a terminal keeps the failure message and the recap (no crash on a failed host)', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await inPty(['run', pb('failed.yml'), '-i', inv()]);
    assert.is(r.code, 2, `try ${i}: ${r.text}`);
    assert.match(r.text, /\n {2}h1 {2}failed {3}boom - non-zero return code 1\n/);
    assert.match(r.text, /h1 +: ok=0 changed=0 unreachable=0 failed=1/);
    assert.match(r.text, /h2 +: ok=1 changed=0 unreachable=0 failed=0 skipped=1/);
  }
});

test.run();
