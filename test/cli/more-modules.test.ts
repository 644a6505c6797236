/**
 * pause and package on local hosts: pause waits the time asked (and refuses a
 * prompt: runs are non-interactive); package hands the work to apt (checked
 * in check mode only: nothing is installed on the machine running the tests).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { hostResult, Project, statusOf } from '../helpers/project.ts';
import { runCli } from '../helpers/cli.ts';
import path from 'node:path';
import { readFile } from 'node:fs/promises';

let p: Project;
test.before.each(async () => {
  p = await Project.create(['h1']);
});
test.after.each(async () => {
  await p.remove();
});

test('pause: waits the seconds asked; a prompt is refused with the reason', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: wait a second
      pause: { seconds: 1 }
    - name: ask a person
      pause: { prompt: "Press enter" }
      ignore_errors: true
`);
  const started = Date.now();
  const r = await p.json('play.yml');
  assert.is(r.code, 0, r.stderr);
  assert.ok(Date.now() - started >= 1000, 'it waited');
  assert.is(hostResult(r.report, 'wait a second', 'h1').msg, 'Paused for 1 seconds');
  assert.match(hostResult(r.report, 'ask a person', 'h1').msg, /non-interactive/);
});

test('package: apt does the work (an installed package is left alone; a missing one would be installed); another manager is refused', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: bash is there
      package: { name: bash, state: present }
    - name: a package not installed
      package: { name: jitsi-fleet-no-such-package, state: installed }
      ignore_errors: true
    - name: yum
      package: { name: bash, state: present, use: yum }
      ignore_errors: true
`);
  const r = await p.json('play.yml', [], 'check');
  assert.is(r.code, 0, r.stderr);
  assert.is(statusOf(r.report, 'bash is there', 'h1'), 'ok');
  assert.match(hostResult(r.report, 'bash is there', 'h1').msg, /bash already installed/);
  assert.match(hostResult(r.report, 'a package not installed', 'h1').msg, /would install jitsi-fleet-no-such-package/);
  assert.match(hostResult(r.report, 'yum', 'h1').msg, /use=yum is not supported/);
});

test('systemd where systemd is not running: daemon_reload says there is nothing to reload, state falls back to init scripts, masked is refused', async () => {
  if (existsSync('/run/systemd/system')) {
    // This machine runs systemd: the fallback cannot be seen here; a daemon-reload alone is no change.
    await p.write('reload.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: reload only\n      systemd: { daemon_reload: true }\n');
    const r = await p.json('reload.yml');
    assert.is(statusOf(r.report, 'reload only', 'h1'), 'ok');
    return;
  }
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: reload only
      systemd: { daemon_reload: true }
    - name: a unit that is not there
      ansible.builtin.systemd_service: { name: jitsi-fleet-no-such-unit, state: started, daemon_reload: true }
      ignore_errors: true
    - name: mask
      systemd: { name: cron, masked: true }
      ignore_errors: true
`);
  const r = await p.json('play.yml');
  assert.is(r.code, 0, r.stderr);
  assert.is(hostResult(r.report, 'reload only', 'h1').msg, 'nothing to do (no systemd on this host: nothing to reload)');
  assert.is(statusOf(r.report, 'reload only', 'h1'), 'ok');
  assert.match(hostResult(r.report, 'a unit that is not there', 'h1').msg, /Could not find the requested service jitsi-fleet-no-such-unit: no \/etc\/init\.d\/jitsi-fleet-no-such-unit/);
  assert.match(hostResult(r.report, 'mask', 'h1').msg, /systemd is not running on h1: a unit cannot be masked there/);
});

test('stat, replace, async, with_ loops, rescue variables, bad arguments under ignore_errors, results with failed and changed', async () => {
  const f = p.files;
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - copy: { dest: "${f}/conf", content: "a=1\\nb=2\\n# tail\\nc=3\\n", mode: "0640" }
    - name: stat it
      stat: { path: "${f}/conf" }
      register: st
    - name: a missing path
      stat: { path: "${f}/nope" }
      register: missing
    - name: replace after the marker
      replace: { path: "${f}/conf", regexp: '^(\\w)=(\\d)$', replace: '\\2=\\1', after: '# tail' }
      register: rep
    - name: replace again
      replace: { path: "${f}/conf", regexp: '^(\\w)=(\\d)$', replace: '\\2=\\1', after: '# tail' }
      register: rep2
    - name: background
      shell: sleep 1; echo done > ${f}/bg
      async: 10
      poll: 0
      register: bg
    - name: wait for it
      wait_for: { path: "${f}/bg", search_regex: done, timeout: 10 }
    - name: sequence
      debug: { msg: "{{ item }}" }
      with_sequence: start=1 end=3 format=n%02d
      register: seq
    - name: dict
      debug: { msg: "{{ item.key }}={{ item.value }}" }
      with_dict: { x: 1 }
      register: dct
    - name: a bad argument, failure expected
      file: { path: "${f}/x", state: nonsense }
      ignore_errors: true
      register: bad
    - block:
        - name: this one fails
          command: /bin/false
      rescue:
        - name: what failed
          set_fact: { failed_name: "{{ ansible_failed_task.name }}", failed_rc: "{{ ansible_failed_result.rc }}" }
    - assert:
        that:
          - st.stat.exists and st.stat.isreg and not st.stat.isdir and st.stat.mode == '0640'
          - st.stat.size == 19 and st.stat.checksum | length == 40 and st.stat.pw_name is string
          - not missing.stat.exists
          - rep is changed and rep.msg == '1 replacements made' and rep2 is not changed
          - "'failed' in rep2 and not rep2.failed"
          - bg.started == 1 and bg.finished == 0
          - seq.results | map(attribute='msg') | list == ['n01', 'n02', 'n03']
          - dct.results[0].msg == 'x=1'
          - bad is failed
          - failed_name == 'this one fails' and failed_rc | int == 1
`);
  const r = await p.json('play.yml');
  assert.is(r.code, 0, JSON.stringify(r.report).slice(-3000) + r.stderr);
  assert.is(statusOf(r.report, 'a bad argument, failure expected', 'h1'), 'failed');
  assert.is(await p.read('conf'), 'a=1\nb=2\n# tail\n3=c\n');
});

test('script, getent, the action: form, environment, copy with remote_src and mode preserve, attributes refused at run time', async () => {
  const f = p.files;
  await p.write('files/hello.sh', '#!/bin/sh\necho "args: $* in $(pwd) with $GREETING"\n');
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  environment: { GREETING: hi }
  tasks:
    - name: the script
      script: hello.sh one "two three"
      args: { chdir: "${f}" }
      register: sc
    - name: passwd of root
      getent: { database: passwd, key: root }
    - name: the old form
      action: copy content=x dest=${f}/a mode=0600
    - name: copy on the host
      copy: { src: "${f}/a", dest: "${f}/b", remote_src: true, mode: preserve }
      register: cp
    - name: attributes (chattr) of copy, which jitsi-fleet does not set (the file module does)
      copy: { content: "x", dest: "${f}/c", attributes: "+A" }
      ignore_errors: true
      register: attrs
    - assert:
        that:
          - "sc.stdout_lines == ['args: one two three in ${f} with hi']"
          - getent_passwd.root[1] == '0'
          - cp is changed and cp.checksum == '${createHash('sha1').update('x').digest('hex')}'
          - attrs is failed and 'not supported' in attrs.msg
`);
  assert.is(await p.read('c'), null, 'the copy that asked for attributes wrote nothing');
  const r = await p.json('play.yml');
  assert.is(r.code, 0, JSON.stringify(r.report).slice(-3000) + r.stderr);
  assert.is(await p.read('b'), 'x');
  assert.is(((await import('node:fs')).statSync(`${f}/b`).mode & 0o777).toString(8), '600');
});

test('a module jitsi-fleet lacks, under a when or in a file include_tasks loads: validate names it; the host fails only if the task runs', async () => {
  await p.write('setup-Archlinux.yml', `
- name: install with examplecorp.pkgs.pacman
  examplecorp.pkgs.pacman: { name: nginx, state: present }
`);
  await p.write('setup-Debian.yml', `
- name: on Debian
  command: echo debian
  changed_when: false
`);
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  vars: { family: Debian }
  tasks:
    - include_tasks: setup-Archlinux.yml
      when: family == 'Archlinux'
    - include_tasks: setup-Debian.yml
      when: family == 'Debian'
    - name: yum on RedHat
      yum: { name: nginx }
      when: family == 'RedHat'
`);
  const v = await p.run('play.yml', [], 'validate');
  assert.is(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stderr, /note: .*setup-Archlinux\.yml:3:3: unknown module 'examplecorp.pkgs.pacman'; this task fails the host if it runs/);
  assert.match(v.stderr, /note: .*play\.yml:11:7: .*yum/);
  const ok = await p.json('play.yml');
  assert.is(ok.code, 0, ok.stderr);
  assert.is(statusOf(ok.report, 'on Debian', 'h1'), 'ok');
  const arch = await p.json('play.yml', ['-e', 'family=Archlinux']);
  assert.is(arch.code, 2, arch.stderr);
  assert.is(statusOf(arch.report, 'install with examplecorp.pkgs.pacman', 'h1'), 'failed');
  assert.match(hostResult(arch.report, 'install with examplecorp.pkgs.pacman', 'h1').msg, /unknown module 'examplecorp.pkgs.pacman' \(.*setup-Archlinux\.yml:3:3\)/);
  // Not under a when and not in an include_tasks file: refused before the run, as before.
  await p.write('bare.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - examplecorp.pkgs.pacman: { name: nginx }
`);
  const bare = await p.run('bare.yml');
  assert.is(bare.code, 1, bare.stdout + bare.stderr);
  assert.match(bare.stderr + bare.stdout, /unknown module 'examplecorp.pkgs.pacman'/);
});

test('wait_for: match groups of a Python regex in a file (match_groups, match_groupdict); state drained on a port with no connection', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - copy: { dest: "{{ files }}/log", content: "started\\ncompleted data 123\\n" }
    - wait_for: { path: "{{ files }}/log", search_regex: 'completed (?P<foo>\\w+) ([0-9]+)', timeout: 5 }
      register: w
    - name: groups
      debug: { msg: "{{ w.match_groupdict.foo }} {{ w.match_groups }}" }
    - name: drained
      wait_for: { port: 1, state: drained, timeout: 5 }
`);
  const r = await p.json('play.yml');
  assert.is(r.code, 0, r.stderr);
  assert.is(hostResult(r.report, 'groups', 'h1').msg, "data ['data', '123']");
  assert.is(statusOf(r.report, 'drained', 'h1'), 'ok');
});

test("path arguments as Ansible's type path: ~ and $NAME expanded on the host, as the module's user; other text left alone", async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - lineinfile: { path: "~/home.conf", line: "a=1", create: true }
    - copy: { dest: "$JF_AREA/area.conf", content: "b=2\\n" }
    - name: not expanded in content
      copy: { dest: "\${JF_AREA}/literal.conf", content: "$JF_AREA ~\\n" }
    - name: an unset variable stays as written
      stat: { path: "$JF_NO_SUCH_VARIABLE/x" }
      register: st
    - name: creates sees the expanded path
      command: { cmd: "false", creates: "$JF_AREA/area.conf" }
`);
  const r = await runCli(['run', path.join(p.dir, 'play.yml'), '-i', path.join(p.dir, 'hosts.yml'), '--output', 'json'], { env: { HOME: p.files, JF_AREA: p.files } });
  assert.is(r.code, 0, r.stdout.slice(-2000) + r.stderr);
  assert.is(await p.read('home.conf'), 'a=1\n');
  assert.is(await p.read('area.conf'), 'b=2\n');
  assert.is(await readFile(path.join(p.files, 'literal.conf'), 'utf8'), '$JF_AREA ~\n');
  const report = JSON.parse(r.stdout);
  assert.is(hostResult(report, 'an unset variable stays as written', 'h1').result.stat.exists, false);
  assert.is(statusOf(report, 'creates sees the expanded path', 'h1'), 'ok');
});

test.run();
