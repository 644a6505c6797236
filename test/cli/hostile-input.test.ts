/**
 * Input that would hurt: values that try to become shell code, YAML that
 * explodes or is laid out wrong, flags mistyped, secrets under telling
 * names, huge diffs, failed writes. Each case is something a user met.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.ts';
import { hostResult, Project } from '../helpers/project.ts';

let p: Project;
test.before.each(async () => {
  p = await Project.create(['h1']);
});
test.after.each(async () => {
  await p.remove();
});

test('validate: runs the program with arguments, never through a shell (; and $(...) stay text)', async () => {
  const pwned = path.join(p.files, 'pwned');
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  vars:
    evil: "$(touch ${pwned}-var)"
  tasks:
    - name: semicolon
      copy: { dest: "{{ files }}/a.conf", content: "x\\n", validate: "grep -q x %s; touch ${pwned}" }
      ignore_errors: true
    - name: command substitution in a variable
      copy: { dest: "{{ files }}/b.conf", content: "x\\n", validate: "grep -q {{ evil }} %s" }
      ignore_errors: true
    - name: a good validator still works
      copy: { dest: "{{ files }}/c.conf", content: "x\\n", validate: "grep -q x %s" }
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 0, res.stderr);
  assert.not.ok(existsSync(pwned), '; did not run a second command');
  assert.not.ok(existsSync(`${pwned}-var`), '$(...) did not run');
  assert.is(hostResult(res.report, 'semicolon', 'h1').status, 'failed');
  assert.match(hostResult(res.report, 'semicolon', 'h1').msg, /validation failed/);
  assert.is(await p.read('a.conf'), null, 'nothing written when validation fails');
  assert.is(hostResult(res.report, 'a good validator still works', 'h1').status, 'changed');
  assert.is(await p.read('c.conf'), 'x\n');
});

test('command runs the program, not a shell builtin: echo --version is /bin/echo', async () => {
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: version
      command: echo --version
      register: v
    - name: argv form
      command: { argv: [printf, "%s|", "a b", "c;d"] }
      register: w
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 0, res.stderr);
  assert.match(hostResult(res.report, 'version', 'h1').result.stdout, /coreutils/);
  assert.is(hostResult(res.report, 'argv form', 'h1').result.stdout, 'a b|c;d|');
});

test('a failed write reports no change (copy into a missing directory)', async () => {
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: into nowhere
      copy: { dest: "{{ files }}/no/such/dir/x.conf", content: "x\\n" }
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 2);
  const r = hostResult(res.report, 'into nowhere', 'h1');
  assert.is(r.status, 'failed');
  assert.is(r.changed, false);
  assert.match(r.msg, /does not exist/);
  assert.is(res.report.stats.h1.changed, 0);
});

test('check --diff of a 50 MB rewrite: summarised, not diffed line by line', async () => {
  await writeFile(path.join(p.files, 'big.txt'), 'old line\n'.repeat(5_800_000));
  await p.write('files/big.txt', 'new line\n'.repeat(5_800_000));
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - copy: { src: big.txt, dest: "{{ files }}/big.txt" }
`);
  const res = await p.run('play.yml', ['--detailed-exitcode'], 'check');
  assert.is(res.code, 3, res.stderr);
  assert.match(res.stdout, /diff skipped: the file is larger than 104448 bytes \(before: 52200000 bytes, after: 52200000 bytes\)/);
  assert.ok(res.stdout.length < 10_000, 'no 50 MB diff printed');
});

test('a YAML alias bomb is refused quickly with its location', async () => {
  const levels = 'abcdefghi'.split('');
  let vars = '    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < levels.length; i++) vars += `    ${levels[i]}: &${levels[i]} [${Array(9).fill('*' + levels[i - 1]).join(',')}]\n`;
  await p.write('bomb.yml', `- hosts: h1\n  vars:\n${vars}  tasks:\n    - debug: { msg: "{{ i }}" }\n`);
  const res = await p.run('bomb.yml', [], 'validate');
  assert.is(res.code, 1);
  assert.match(res.stderr, /bomb\.yml:\d+:\d+: YAML aliases expand to more than 100000 values/);
});

test('a playbook that starts with a UTF-8 byte order mark runs', async () => {
  await writeFile(path.join(p.dir, 'bom.yml'), '\ufeff- hosts: h1\n  gather_facts: false\n  tasks:\n    - debug: { msg: with a BOM }\n');
  const res = await p.json('bom.yml');
  assert.is(res.code, 0, res.stderr);
  assert.is(hostResult(res.report, 'debug', 'h1').msg, 'with a BOM');
});

test('indentation mistakes: the offending line with a caret, and a hint', async () => {
  await p.write('item.yml', '- hosts: h1\n  tasks:\n    - name: a\n      debug: { msg: a }\n\n   - name: b\n      debug: { msg: b }\n');
  const item = await p.run('item.yml', [], 'validate');
  assert.is(item.code, 1);
  assert.match(item.stderr, /item\.yml:6:4: YAML: /, 'points at the list item, not the blank line before it');
  assert.match(item.stderr, /\n {2}6 \| {4}- name: b\n {9}\^\n/);
  assert.match(item.stderr, /hint: this list item is not lined up/);
  await p.write('args.yml', '- hosts: h1\n  tasks:\n    - name: a\n      lineinfile:\n      path: /x\n      line: y\n');
  const args = await p.run('args.yml', [], 'validate');
  assert.is(args.code, 1);
  assert.match(args.stderr, /args\.yml:5:7: unknown keyword 'path' in a task/);
  assert.match(args.stderr, /hint: 'path' is an argument of lineinfile, which has none: indent it/);
  await p.write('key.yml', '- hosts: h1\n  tasks:\n    - name: a\n      lineinfile:\n        path: /x\n       line: y\n');
  const key = await p.run('key.yml', [], 'validate');
  assert.match(key.stderr, /key\.yml:6:8: YAML: All mapping items must start at the same column/);
});

test('validate reports every problem in one go, sorted by file and line', async () => {
  await p.write('many.yml', `
- hosts: h1
  tasks:
    - name: one
      lineinfil: { path: /x, line: y }
    - name: two
      debug: { msg: "{{ nowhere }}" }
      whn: true
- hosts: h1
  gather_fact: false
  tasks:
    - name: three
      copy: { content: x }
`);
  const res = await p.run('many.yml', [], 'validate');
  assert.is(res.code, 1);
  const lines = res.stderr.split('\n').filter((l) => /many\.yml:\d+:\d+:/.test(l)).map((l) => Number(/many\.yml:(\d+):/.exec(l)![1]));
  assert.ok(lines.length >= 4, `every problem: ${res.stderr}`);
  assert.equal(lines, [...lines].sort((a, b) => a - b), 'sorted by line');
  assert.match(res.stderr, /unknown module 'lineinfil'/);
  assert.match(res.stderr, /unknown keyword 'whn'/);
  assert.match(res.stderr, /unknown keyword 'gather_fact' in a play/);
  assert.match(res.stderr, /copy: dest is required/);
});

test('a required variable (declared by an assert at the play start) missing: validate and run stop before anything runs', async () => {
  await p.write('req.yml', `
- hosts: h1
  gather_facts: false
  pre_tasks:
    - assert:
        that:
          - jitsi_domain is defined
        fail_msg: set jitsi_domain
  tasks:
    - copy: { dest: "{{ files }}/touched", content: "{{ jitsi_domain | default('') }}" }
`);
  const v = await p.run('req.yml', [], 'validate');
  assert.is(v.code, 1);
  assert.match(v.stderr, /req\.yml:7:13: required variable 'jitsi_domain' is not set for h1/);
  const r = await p.run('req.yml');
  assert.is(r.code, 1);
  assert.is(await p.read('touched'), null, 'nothing ran');
  const ok = await p.run('req.yml', ['-e', 'jitsi_domain=meet.example.com']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(await p.read('touched'), 'meet.example.com');
  const shipped = await runCli(['validate', 'playbooks/add-bridge.yml', '-i', 'inventory/hosts.yml', '-e', '@' + (await p.write('empty.yml', '{}'))]);
  assert.is(shipped.code, 0, shipped.stderr);
  const inv = (await readFile('inventory/hosts.yml', 'utf8')).replace(/^ +jitsi_domain: .*\n/m, '');
  const noDomain = await runCli(['validate', 'playbooks/add-bridge.yml', '-i', await p.write('nodomain.yml', inv)]);
  assert.is(noDomain.code, 1, 'add-bridge.yml declares jitsi_domain');
  assert.match(noDomain.stderr, /required variable 'jitsi_domain' is not set for meet, jvb2/);
});

test('an unknown flag gets a "did you mean"', async () => {
  const r = await runCli(['run', 'x.yml', '--chek']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /unknown option '--chek'\n\s+hint: did you mean '--check'\?/);
});

test('values under secret names are masked in the JSON report (set_fact, register)', async () => {
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - set_fact: { jvb_secret: "Sup3rS3cretValue", colour: blue }
    - command: echo AdminPa55wordValue
      register: admin_password
    - name: show
      debug: { msg: "{{ jvb_secret }} {{ admin_password.stdout }} {{ colour }}" }
`);
  for (const mode of ['json', 'plain']) {
    const r = await p.run('play.yml', ['--output', mode, '--diff']);
    assert.is(r.code, 0, r.stderr);
    for (const secret of ['Sup3rS3cretValue', 'AdminPa55wordValue']) assert.not.ok((r.stdout + r.stderr).includes(secret), `${mode}: ${secret} shown`);
    assert.match(r.stdout, /blue/, 'other values are shown');
  }
});

test.run();
