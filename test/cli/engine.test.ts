/** Engine semantics over the local connection, in temp folders, through the CLI as a user runs it. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { hostResult, Project, statusOf, taskNames } from '../helpers/project.ts';

let p: Project;
test.before.each(async () => {
  p = await Project.create();
});
test.after.each(async () => {
  await p.remove();
});

const EDIT = `
- name: edits
  hosts: all
  gather_facts: false
  tasks:
    - name: create config
      copy:
        dest: "{{ files }}/{{ inventory_hostname }}.conf"
        content: "JVB_OPTS=\\"--apis=,\\"\\nJVB_HOST=\\n"
        force: false
    - name: set opts
      lineinfile:
        path: "{{ files }}/{{ inventory_hostname }}.conf"
        regexp: '^JVB_OPTS='
        line: 'JVB_OPTS="--apis=rest,xmpp --subdomain={{ inventory_hostname }}"'
      notify: restart bridge
    - name: set host
      lineinfile:
        path: "{{ files }}/{{ inventory_hostname }}.conf"
        regexp: '^JVB_HOST='
        line: 'JVB_HOST=meet.example.com'
      notify: [restart bridge, reload prosody]
  handlers:
    - name: reload prosody
      copy: { dest: "{{ files }}/{{ inventory_hostname }}.prosody-reloads", content: "reloaded\\n" }
    - name: restart bridge
      shell: echo restarted >> {{ files }}/{{ inventory_hostname }}.restarts
`;

test('first run changes, second run changes nothing, handlers run once in definition order', async () => {
  await p.write('play.yml', EDIT);
  const first = await p.json('play.yml');
  assert.is(first.code, 0, first.stderr);
  assert.is(first.report.stats.h1.changed, 5);
  assert.is(await p.read('h1.conf'), 'JVB_OPTS="--apis=rest,xmpp --subdomain=h1"\nJVB_HOST=meet.example.com\n');
  assert.is(await p.read('h2.restarts'), 'restarted\n', 'notified twice, ran once');
  const names = taskNames(first.report);
  assert.ok(names.indexOf('reload prosody') < names.indexOf('restart bridge'), 'handlers in definition order, not notify order');
  const second = await p.json('play.yml', ['--detailed-exitcode']);
  assert.is(second.code, 0, 'nothing changed: exit 0 even with --detailed-exitcode');
  for (const h of ['h1', 'h2', 'h3']) assert.is(second.report.stats[h].changed, 0);
  assert.is(statusOf(second.report, 'restart bridge', 'h1'), undefined, 'no handler without a change');
  assert.is(await p.read('h1.restarts'), 'restarted\n');
});

test('check mode: predicts a create-then-edit chain, shows diffs, writes nothing, exits 3', async () => {
  await p.write('play.yml', EDIT);
  const before = await p.checksums();
  const res = await p.json('play.yml', ['--detailed-exitcode'], 'check');
  assert.is(res.code, 3, res.stderr);
  assert.equal(await p.checksums(), before, 'no file written');
  const setOpts = hostResult(res.report, 'set opts', 'h1');
  assert.is(setOpts.status, 'changed', 'the edit is predicted on the planned file, not failed');
  assert.match(setOpts.diff[0].after, /subdomain=h1/);
  assert.is(setOpts.diff[0].before, 'JVB_OPTS="--apis=,"\nJVB_HOST=\n', 'before = what the create step would leave');
  assert.is(statusOf(res.report, 'restart bridge', 'h1'), 'skipped', 'a shell handler is skipped in check mode');
  const plain = await p.run('play.yml', [], 'check');
  assert.match(plain.stdout, /\+JVB_OPTS="--apis=rest,xmpp --subdomain=h1"/);
  assert.not.match(plain.stdout, /\x1b\[/, 'no escape codes in plain output');
});

test('check mode after a real run: no change predicted, exit 0', async () => {
  await p.write('play.yml', EDIT);
  await p.json('play.yml');
  const before = await p.checksums();
  const res = await p.json('play.yml', ['--detailed-exitcode'], 'check');
  assert.is(res.code, 0);
  assert.equal(await p.checksums(), before);
});

test('register, when, loop with label, with_items flattening, set_fact and precedence', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  vars: { level: play }
  tasks:
    - name: loop
      copy: { dest: "{{ files }}/{{ inventory_hostname }}-{{ item.n }}", content: "{{ item.c }}" }
      loop: [{ n: a, c: "1" }, { n: b, c: "2" }]
      loop_control: { label: "{{ item.n }}" }
      register: written
    - name: count changed items
      set_fact: { changed_items: "{{ written.results | selectattr('changed') | list | length }}" }
    - name: flatten
      debug: { msg: "{{ item }}" }
      with_items: [[x, y], z]
      register: flat
    - name: only on h2
      copy: { dest: "{{ files }}/only-{{ inventory_hostname }}", content: "{{ level }} {{ changed_items }} {{ flat.results | length }}" }
      when: inventory_hostname == 'h2'
    - name: task vars beat play vars, set_fact beats task vars
      copy: { dest: "{{ files }}/prec-{{ inventory_hostname }}", content: "{{ level }}/{{ changed_items }}" }
      vars: { level: task, changed_items: task }
      when: inventory_hostname == 'h1'
`);
  const res = await p.json('play.yml', ['-e', 'unused=1']);
  assert.is(res.code, 0, res.stderr);
  assert.is(await p.read('h1-b'), '2');
  const loop = hostResult(res.report, 'loop', 'h1');
  assert.equal(loop.items.map((i: any) => i.label), ['a', 'b']);
  assert.is(await p.read('only-h2'), 'play 2 3');
  assert.is(await p.read('only-h1'), null);
  assert.is(statusOf(res.report, 'only on h2', 'h1'), 'skipped');
  assert.is(await p.read('prec-h1'), 'task/2');
  const extra = await p.json('play.yml', ['-e', 'level=extra']);
  assert.is(extra.code, 0);
  assert.is(await p.read('only-h2'), 'extra 0 3', '-e beats play vars; second run changed no item');
});

test('a failing host leaves the play, the others finish, exit 2; ignore_errors keeps going', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: fail on h2
      command: "false"
      when: inventory_hostname == 'h2'
    - name: ignored failure
      command: "false"
      ignore_errors: true
    - name: after
      copy: { dest: "{{ files }}/after-{{ inventory_hostname }}", content: ok }
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 2);
  assert.is(await p.read('after-h1'), 'ok');
  assert.is(await p.read('after-h2'), null);
  assert.is(res.report.stats.h2.failed, 1);
  assert.is(res.report.stats.h1.ignored, 1);
  assert.is(statusOf(res.report, 'after', 'h2'), undefined);
});

test('block/rescue/always', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: maybe fail
          command: "false"
          when: inventory_hostname != 'h1'
        - name: not after failure
          copy: { dest: "{{ files }}/block-{{ inventory_hostname }}", content: ok }
      rescue:
        - name: rescue
          copy: { dest: "{{ files }}/rescue-{{ inventory_hostname }}", content: ok }
      always:
        - name: always
          copy: { dest: "{{ files }}/always-{{ inventory_hostname }}", content: ok }
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 0, 'rescued failures do not fail the run');
  assert.is(await p.read('block-h1'), 'ok');
  assert.is(await p.read('block-h2'), null);
  assert.is(await p.read('rescue-h2'), 'ok');
  assert.is(await p.read('rescue-h1'), null);
  for (const h of ['h1', 'h2', 'h3']) assert.is(await p.read(`always-${h}`), 'ok');
  assert.is(res.report.stats.h2.rescued, 1);
});

test('any_errors_fatal stops the play for every host', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - command: "false"
      when: inventory_hostname == 'h3'
    - name: never
      copy: { dest: "{{ files }}/never-{{ inventory_hostname }}", content: x }
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 2);
  assert.is(await p.read('never-h1'), null);
});

test('serial batches and max_fail_percentage', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  tasks:
    - command: "false"
      when: inventory_hostname == 'h1'
    - name: mark
      copy: { dest: "{{ files }}/mark-{{ inventory_hostname }}", content: x }
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 2);
  assert.is(await p.read('mark-h2'), null, 'the first batch failed past the limit: later batches do not run');
  await p.write('play2.yml', `
- hosts: all
  gather_facts: false
  serial: [1, 2]
  tasks:
    - name: batch
      shell: echo "{{ ansible_play_batch | join(',') }}" > {{ files }}/batch-{{ inventory_hostname }}
`);
  const ok = await p.json('play2.yml');
  assert.is(ok.code, 0);
  assert.is(await p.read('batch-h1'), 'h1\n');
  assert.is(await p.read('batch-h3'), 'h2,h3\n');
});

test('run_once and delegate_to', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      shell: echo {{ inventory_hostname }} >> {{ files }}/once
      run_once: true
      register: once
    - name: everyone sees the result
      copy: { dest: "{{ files }}/seen-{{ inventory_hostname }}", content: "{{ once.rc }}" }
    - name: delegated
      copy: { dest: "{{ files }}/delegated-for-{{ inventory_hostname }}", content: "{{ inventory_hostname }}" }
      delegate_to: localhost
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 0, res.stderr);
  assert.is(await p.read('once'), 'h1\n');
  assert.is(await p.read('seen-h3'), '0');
  assert.is(await p.read('delegated-for-h2'), 'h2');
});

test('tags: --tags, --skip-tags, always and never', async () => {
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - { name: a, copy: { dest: "{{ files }}/a", content: a }, tags: [config] }
    - { name: b, copy: { dest: "{{ files }}/b", content: b }, tags: [restart] }
    - { name: c, copy: { dest: "{{ files }}/c", content: c }, tags: [always] }
    - { name: d, copy: { dest: "{{ files }}/d", content: d }, tags: [never, debug] }
`);
  await p.json('play.yml', ['--tags', 'config']);
  assert.equal([await p.read('a'), await p.read('b'), await p.read('c'), await p.read('d')], ['a', null, 'c', null]);
  await p.json('play.yml', ['--skip-tags', 'config,always', '--tags', 'all,debug']);
  assert.equal([await p.read('b'), await p.read('d')], ['b', 'd']);
});

test('a skipped command in check mode still registers a variable that later when: can use', async () => {
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: probe
      command: cat /nonexistent
      register: probe
    - name: uses it
      debug: { msg: "skipped={{ probe.skipped }}" }
      when: probe is skipped
`);
  const res = await p.json('play.yml', [], 'check');
  assert.is(res.code, 0, res.stderr);
  assert.is(statusOf(res.report, 'probe', 'h1'), 'skipped');
  assert.is(hostResult(res.report, 'uses it', 'h1').msg, 'skipped=True', 'booleans print as Jinja2 prints them');
});

test('no_log and secret variables are redacted in plain output, JSON and diffs', async () => {
  const secret = 'S3cr3t-Value@#42';
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  vars:
    jvb_secret: "${secret}"
  tasks:
    - name: write secret
      copy: { dest: "{{ files }}/secret.cfg", content: "component_secret = {{ jvb_secret }}\\n" }
    - name: hidden
      debug: { msg: "the secret is {{ jvb_secret }}" }
      no_log: true
    - name: leaky debug
      debug: { var: jvb_secret }
`);
  const plain = await p.run('play.yml', ['--diff', '--output', 'plain']);
  assert.is(plain.code, 0, plain.stderr);
  const json = await p.json('play.yml', ['--diff'], 'check');
  const all = plain.stdout + plain.stderr + JSON.stringify(json.report);
  assert.not.ok(all.includes(secret), 'the secret appears nowhere');
  assert.ok(plain.stdout.includes('********'));
  assert.is(await p.read('secret.cfg'), `component_secret = ${secret}\n`, 'the host still gets the real value');
});

test('undefined variable at run time names the variable, task, file and line', async () => {
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: set later
      set_fact: { later: "{{ nowhere_yet | default(omit) }}" }
      when: false
    - name: uses later
      debug: { msg: "{{ later }}" }
`);
  const res = await p.json('play.yml');
  assert.is(res.code, 2);
  const r = hostResult(res.report, 'uses later', 'h1');
  // The task's name is on the line already (and in the report): the message names the variable and where.
  assert.match(r.msg, /^'later' is undefined \(at .*play\.yml:8:7\)$/);
  const plain = await p.run('play.yml', ['--output', 'plain']);
  const line = plain.stdout.split('\n').find((l) => l.includes('failed: [h1]'))!;
  assert.is(line.split('uses later').length - 1, 1, `the task name once: ${line}`);
});

test('exit 4 when a host is unreachable (wins over 2), and the others finish', async () => {
  const q = await Project.create(['h1', 'h2'], '    gone: { ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1 }\n');
  try {
    await q.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: fail h2
      command: "false"
      when: inventory_hostname == 'h2'
    - name: write
      copy: { dest: "{{ files }}/w-{{ inventory_hostname }}", content: x }
`);
    const res = await q.json('play.yml');
    assert.is(res.code, 4);
    assert.is(await q.read('w-h1'), 'x');
    assert.is(res.report.stats.gone.unreachable, 1);
    assert.ok(res.report.unreachable.gone);
  } finally {
    await q.remove();
  }
});

test('--junit and --summary write reports of the same run', async () => {
  const { readFile } = await import('node:fs/promises');
  const path = await import('node:path');
  await p.write('play.yml', EDIT);
  const junit = path.join(p.dir, 'report.xml');
  const summary = path.join(p.dir, 'summary.md');
  const res = await p.run('play.yml', ['--junit', junit, '--summary', summary, '--detailed-exitcode'], 'check');
  assert.is(res.code, 3);
  const xml = await readFile(junit, 'utf8');
  assert.match(xml, /^<\?xml version="1\.0"/);
  assert.match(xml, /<testsuite name="edits" tests="\d+" failures="0"/);
  assert.match(xml, /<testcase classname="edits" name="h1: set opts"/);
  assert.match(xml, /\+JVB_OPTS=&quot;--apis=rest,xmpp --subdomain=h1&quot;/);
  const md = await readFile(summary, 'utf8');
  assert.match(md, /^## jitsi-fleet check: ⚠️ changes pending/);
  assert.match(md, /\| h2 \| \d+ \| [1-9]\d* \| 0 \| \d+ \| 0 \|/);
  assert.match(md, /```diff/);
});

test('Ctrl-C: no new task starts, the running one ends, the recap is printed, exit 130', async () => {
  await p.write('play.yml', `
- hosts: h1
  gather_facts: false
  tasks:
    - name: slow
      shell: sleep 1; echo done > {{ files }}/slow
    - name: next
      copy: { dest: "{{ files }}/next", content: x }
`);
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../helpers/cli.ts');
  const path = await import('node:path');
  const child = spawn(process.execPath, [BIN, 'run', path.join(p.dir, 'play.yml'), '-i', path.join(p.dir, 'hosts.yml'), '--output', 'plain'], { env: { ...process.env, CI: 'true' } });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('TASK [slow]')) setTimeout(() => child.kill('SIGINT'), 200);
  });
  const code = await new Promise((r) => child.on('close', r));
  assert.is(code, 130);
  assert.match(out, /RECAP/);
  assert.is(await p.read('slow'), 'done\n', 'the running task finished');
  assert.is(await p.read('next'), null, 'no new task started');
});

test('import_playbook: the imported plays run in place, relative to the importing file, with the vars given; cycles and missing files are named before the run', async () => {
  await p.write('sub/part.yml', `
- name: imported
  hosts: all
  gather_facts: false
  tasks:
    - name: from the import
      copy: { dest: "{{ files }}/{{ inventory_hostname }}.part", content: "{{ part_value }} {{ playbook_dir | basename }}\\n" }
`);
  await p.write('site.yml', `
- name: first
  hosts: h1
  gather_facts: false
  tasks:
    - debug: { msg: first }
- import_playbook: sub/part.yml
  vars: { part_value: given }
`);
  const r = await p.json('site.yml');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.report.plays.map((pl: { name: string }) => pl.name), ['first', 'imported']);
  assert.is(await p.read('h2.part'), 'given sub\n');
  await p.write('loop-a.yml', '- import_playbook: loop-b.yml\n');
  await p.write('loop-b.yml', '- import_playbook: loop-a.yml\n');
  const cycle = await p.run('loop-a.yml');
  assert.is(cycle.code, 1);
  assert.match(cycle.stderr, /import_playbook cycle: loop-a\.yml -> loop-b\.yml -> loop-a\.yml/);
  await p.write('missing.yml', '- import_playbook: nowhere.yml\n');
  const missing = await p.run('missing.yml');
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /missing\.yml:1:3: import_playbook: file not found: nowhere\.yml/);
});

test.run();
