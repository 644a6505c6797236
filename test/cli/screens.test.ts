/**
 * What a person sees at the end of a run: in a terminal, per host, the tasks
 * that changed or failed with the reason, the recap and where to see more;
 * an unreachable host said once; control characters from hosts escaped;
 * bad input as a JSON document with --output json; a markdown summary that
 * GitHub shows as written.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { setup } from '../helpers/suite.ts';
import { runCli } from '../helpers/cli.ts';
import { Project } from '../helpers/project.ts';
import { inPty } from '../helpers/pty.ts';

let p: Project;
setup(test, async () => {
  p = await Project.create(['h1', 'h2'], '    gone: { ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1 }\n');
  await p.write('mixed.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: write a file
      copy: { dest: "{{ files }}/{{ inventory_hostname }}.conf", content: "a=1\\n" }
    - name: a line per item
      lineinfile: { path: "{{ files }}/{{ inventory_hostname }}.conf", line: "{{ item }}" }
      loop: [b=2, c=3]
    - name: fails on h1
      command: /bin/false
      when: inventory_hostname == 'h1'
    - name: never runs
      debug: { msg: x }
      when: false
`);
  await p.write('control.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: "a <worse> name"
      copy: { dest: "{{ files }}/ctrl.txt", content: "clear\\u001b[2Jscreen bell\\u0007\\n" }
    - name: items <b>
      lineinfile: { path: "{{ files }}/ctrl.txt", line: "{{ item }}" }
      loop: [one, two]
`);
});
test.after(async () => {
  await p?.remove();
});

const inv = () => path.join(p.dir, 'hosts.yml');

test('in a terminal, the final screen keeps per host what changed and what failed, then the recap and a hint', async () => {
  const r = await inPty(['run', path.join(p.dir, 'mixed.yml'), '-i', inv()]);
  assert.is(r.code, 4, r.text);
  const end = r.text.slice(r.text.lastIndexOf('\nPLAY'));
  assert.match(end, /\n {2}h1 +changed {2}write a file - file created\n +changed {2}a line per item \(b=2, c=3\)\n +failed {3}fails on h1 - non-zero return code 1\n/);
  assert.match(end, /\n {2}h2 +changed {2}write a file - file created\n/);
  assert.ok(/unreachable(: \[gone\] | +)cannot connect to root@127\.0\.0\.1:1: connection refused/.test(r.text), r.text);
  assert.match(end, /RECAP\nh1 +: ok=2 changed=2 unreachable=0 failed=1/);
  assert.match(end, /more: --diff to see the edits, --output json for everything\n/);
  assert.is(r.text.split('connection refused').length - 1, 1, 'the unreachable host is said once');
  const lines = end.split('\n');
  const last = lines.map((l) => /^[✔✖]/.test(l)).lastIndexOf(true);
  const finalScreen = lines.slice(last + 1).join('\n');
  assert.match(finalScreen, /^ {2}h1 /);
  assert.not.match(finalScreen, /never runs/, 'skipped tasks are not listed');
});

test('plain lines: an unreachable host once, without its name twice', async () => {
  const r = await p.run('mixed.yml');
  assert.is(r.code, 4);
  assert.is(r.stdout.split('connection refused').length - 1, 1, r.stdout);
  assert.match(r.stdout, /unreachable: \[gone\] cannot connect to root@127\.0\.0\.1:1/);
});

test('control characters from hosts are escaped in plain lines, the terminal and JUnit', async () => {
  const junit = path.join(p.dir, 'report.xml');
  const plain = await p.run('control.yml', ['--diff', '--junit', junit, '--check']);
  assert.is(plain.code, 0, plain.stderr);
  assert.not.match(plain.stdout, /[\x07\x1b]/, 'no raw control character in plain lines');
  assert.match(plain.stdout, /clear\\x1b\[2Jscreen bell\\x07/);
  const xml = await readFile(junit, 'utf8');
  assert.not.match(xml, /[\x07\x1b]/);
  assert.match(xml, /clear\\x1b\[2Jscreen bell\\x07/, 'escaped, not dropped');
  const tty = await inPty(['check', path.join(p.dir, 'control.yml'), '-i', inv()]);
  assert.match(tty.text, /clear\\x1b\[2Jscreen bell\\x07/);
  assert.not.match(tty.screen, /\x1b\[2J/, 'the file cannot clear the screen');
});

test('--output json with bad input: one JSON document with the error, the same exit code', async () => {
  await p.write('bad.yml', '- hosts: h1\n  tasks:\n    - name: x\n      whn: true\n      debug: { msg: x }\n');
  for (const command of ['run', 'check', 'validate']) {
    const r = await runCli([command, path.join(p.dir, 'bad.yml'), '-i', inv(), '--output', 'json']);
    assert.is(r.code, 1, command);
    const doc = JSON.parse(r.stdout);
    assert.equal({ ...doc.error, problems: undefined, file: path.basename(doc.error.file) }, { kind: 'input', message: "unknown keyword 'whn' in a task", file: 'bad.yml', line: 4, column: 7, hint: "did you mean 'when'?", exit_code: 1, problems: undefined });
    assert.is(doc.error.problems.length, 1);
  }
  const usage = await runCli(['run', '--output', 'json']);
  assert.is(usage.code, 1);
  assert.match(JSON.parse(usage.stdout).error.message, /expected one playbook/);
});

test('the markdown summary: text GitHub would take as HTML is escaped; loops list the items that changed', async () => {
  const md = path.join(p.dir, 'summary.md');
  const r = await p.run('control.yml', ['--summary', md]);
  assert.is(r.code, 0, r.stderr);
  const text = await readFile(md, 'utf8');
  assert.match(text, /\*\*h1\*\* a &lt;worse&gt; name: file created/);
  assert.match(text, /\*\*h1\*\* items &lt;b&gt;: items: one, two/);
  assert.not.match(text, /All items completed/);
  assert.not.match(text, /[\x07\x1b]/);
});

test('a play over many hosts: one summary line, not a spinner per host; hosts that did the same thing grouped on the final screen', async () => {
  const many = await Project.create(Array.from({ length: 40 }, (_, i) => `m${String(i + 1).padStart(2, '0')}`));
  try {
    await many.write('many.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: write a file
      copy: { dest: "{{ files }}/{{ inventory_hostname }}.conf", content: "a=1\\n" }
    - name: fails on m07
      command: /bin/false
      when: inventory_hostname == 'm07'
`);
    const r = await inPty(['run', path.join(many.dir, 'many.yml'), '-i', path.join(many.dir, 'hosts.yml'), '--forks', '10'], { cwd: many.dir });
    assert.is(r.code, 2, r.text);
    assert.match(r.text, /40 hosts/);
    assert.not.match(r.text, /^\s*[✔✖⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏❯] m(0[1-9]|[1-3]\d)\s+ok=/m, 'no line per host in the live view');
    assert.match(r.text, /changed +write a file - file created +\(all 40 hosts\)/);
    assert.match(r.text, /failed +fails on m07 - .*\(m07\)/);
    for (const h of ['m01', 'm07', 'm40']) assert.match(r.text, new RegExp(`^${h} +: ok=`, 'm'), `${h} in the recap`);
  } finally {
    await many.remove();
  }
});

test('the live view redraws with its spinner, not on every result: 20 tasks on 10 hosts in a terminal draw a frame at most about 10 times a second', async () => {
  const ten = await Project.create(Array.from({ length: 10 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`));
  try {
    const tasks = Array.from({ length: 20 }, (_, i) => `    - name: line ${i + 1}\n      lineinfile: { path: "{{ files }}/{{ inventory_hostname }}.conf", line: "k${i + 1}=v", create: true }`).join('\n');
    await ten.write('ten.yml', `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}\n`);
    const started = Date.now();
    const r = await inPty(['run', path.join(ten.dir, 'ten.yml'), '-i', path.join(ten.dir, 'hosts.yml'), '--forks', '10'], { cwd: ten.dir });
    const seconds = (Date.now() - started) / 1000;
    assert.is(r.code, 0, r.text);
    assert.match(r.text, /^t10 +: ok=20 changed=20/m);
    // Every frame lists every host's line: count t05's (the live lines, then the final screen and the recap).
    const frames = (r.screen.match(/t05 {2}/g) ?? []).length;
    // Before: a frame per title and per output change, some 600 here. Now the spinner's (10 a second, over the
    // whole command's time, start-up included), one as each host's line ends, and the final screen.
    assert.ok(frames <= 10 * seconds + 10 + 5, `${frames} frames in ${seconds.toFixed(1)} s`);
    assert.ok(frames >= 1, 'the live view was drawn');
  } finally {
    await ten.remove();
  }
});

test.run();
