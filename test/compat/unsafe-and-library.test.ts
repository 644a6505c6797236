/**
 * Under real ansible-playbook and under jitsi-fleet (localhost), the same shown messages:
 * - Ansible's unsafe values: a with_<lookup> item, a lookup's result, a registered result, a `!unsafe`
 *   variable: what set_fact makes of them is kept as it is, never templated again; from a `loop:` item it is
 *   templated when used (ansible-core's loops target, issue 64169).
 * - hostvars templated with fail_on_undefined=False: a string naming a variable the host's scope lacks stays
 *   as written.
 * - A project's own Python module (library/<name>.py, written with AnsibleModule, with module_utils of the
 *   project), run on the host as ansible-playbook runs it: its result, changed, check mode, failure, rc.
 * - Ansible's action plugins (unarchive, fetch, assemble) and a project's own (action_plugins/), run inside
 *   ansible-core with jitsi-fleet's connection: results, check mode, failures, the files they leave.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { runBoth, shown } from '../helpers/twins.ts';
import { ROOT, runCli, runCommand } from '../helpers/cli.ts';
import { inPty, STACK_TRACE } from '../helpers/pty.ts';

let work = '';

const PLAYBOOK = `
- hosts: all
  gather_facts: false
  vars:
    version_64169: '1.0'
    u: !unsafe 'raw {{ nothing }}'
    tool: __TOOL__
  tasks:
    - include_vars: { file: 64169.yml }
    - set_fact: "{{ item.key }}={{ hostvars[inventory_hostname][item.value] }}"
      with_dict: { foo: __foo }
    - name: "show: from a with_dict item"
      debug: { msg: "{{ foo[0] == unsafe_value }} {{ foo[0] != 'foo1.0' }}" }
      vars:
        unsafe_value: !unsafe 'foo{{ version_64169 }}'
    - set_fact: "{{ item.key }}={{ hostvars[inventory_hostname][item.value] }}"
      loop: "{{ {'foo': '__foo'} | dict2items }}"
    - name: "show: from a loop item"
      debug: { msg: "{{ foo[0] }}" }
    - name: "show: hostvars keeps what it cannot template"
      debug: { msg: "{{ hostvars[inventory_hostname]['__foo'] | length }} {{ hostvars[inventory_hostname]['__foo'][0] == 'foo{' ~ '{ version_64169 }}' }}" }
    - command: echo "{{ '{{' }} nothing }}"
      register: out
      changed_when: false
    - set_fact:
        from_var: "{{ u }}"
        from_lookup: "{{ lookup('vars', 'u') }}"
        from_register: "{{ out.stdout }}"
        plain: "{{ '{{' }} version_64169 }}"
    - name: "show: unsafe sources stay text, a plain value is templated when used"
      debug: { msg: "{{ from_var == 'raw {' ~ '{ nothing }}' }} {{ from_lookup == 'raw {' ~ '{ nothing }}' }} {{ from_register }}|{{ plain }}" }

    - name: a project module
      snake_words: { text: "Hello World", prefix: "x" }
      register: m1
    - name: "show: a project module's result"
      debug: { msg: "{{ m1.words }} {{ m1 is changed }} {{ m1.joined }} {{ 'invocation' in m1 }}" }
    - snake_words: { text: "one" }
      register: m2
    - name: "show: unchanged"
      debug: { msg: "{{ m2 is changed }} {{ m2.words }}" }
    - snake_words: { text: "Check Me" }
      check_mode: true
      register: m3
    - name: "show: in check mode"
      debug: { msg: "{{ m3 is changed }} {{ m3.checked }}" }
    - snake_words: { text: "x", fail: true }
      register: m4
      ignore_errors: true
    - name: "show: a module's failure"
      debug: { msg: "{{ m4 is failed }} {{ m4.msg }}" }
    - snake_words: {}
      register: m5
      ignore_errors: true
    - name: "show: AnsibleModule's argument check"
      debug: { msg: "{{ m5 is failed }} {{ m5.msg }}" }
    - rc_only: { rc: 3 }
      register: m6
      ignore_errors: true
    - name: "show: an rc without failed fails the task"
      debug: { msg: "{{ m6 is failed }} {{ m6.rc }}" }
    - no_check: {}
      check_mode: true
      register: m7
    - name: "show: a module without check mode support is skipped in check mode"
      debug: { msg: "{{ m7 is skipped }} {{ m7.msg }}" }

    - community.general.ini_file: { path: "{{ playbook_dir }}/out/{{ tool }}.ini", section: bridge, option: port, value: "10000", mode: "0640" }
      register: i1
    - ini_file: { path: "{{ playbook_dir }}/out/{{ tool }}.ini", section: bridge, option: port, value: "10000" }
      register: i2
    - ini_file: { path: "{{ playbook_dir }}/out/{{ tool }}.ini", section: bridge, option: host, value: jvb1 }
      check_mode: true
      register: i3
    - name: "show: a collection's module, and a builtin jitsi-fleet lacks, through ansible-core"
      debug: { msg: "{{ i1 is changed }} {{ i1.msg }} {{ i2 is changed }} {{ i3 is changed }} {{ lookup('file', playbook_dir ~ '/out/' ~ tool ~ '.ini') | replace('\\n', '|') }}" }
    - git: { repo: "file://{{ playbook_dir }}/src.git", dest: "{{ playbook_dir }}/out/{{ tool }}-wc" }
      register: g1
    - git: { repo: "file://{{ playbook_dir }}/src.git", dest: "{{ playbook_dir }}/out/{{ tool }}-wc" }
      register: g2
    - name: "show: git (ansible.builtin, not one of jitsi-fleet's)"
      debug: { msg: "{{ g1 is changed }} {{ g1.before }} {{ g1.after == g2.after }} {{ g2 is changed }} {{ lookup('file', playbook_dir ~ '/out/' ~ tool ~ '-wc/README') }}" }

    - file: { path: "{{ playbook_dir }}/out/{{ tool }}-unpacked", state: directory }
    - unarchive: { src: bundle.tgz, dest: "{{ playbook_dir }}/out/{{ tool }}-unpacked" }
      register: u1
    - unarchive: { src: bundle.tgz, dest: "{{ playbook_dir }}/out/{{ tool }}-unpacked" }
      register: u2
    - unarchive: { src: missing.tgz, dest: "{{ playbook_dir }}/out" }
      register: u3
      ignore_errors: true
    - name: "show: unarchive, an action plugin of Ansible's"
      debug: { msg: "{{ u1 is changed }} {{ u2 is changed }} {{ u1.handler }} {{ u3 is failed }} {{ u3.msg }}" }
    - fetch: { src: "{{ playbook_dir }}/src/README", dest: "{{ playbook_dir }}/out/{{ tool }}-fetched", flat: true }
      register: f1
    - assemble: { src: "{{ playbook_dir }}/src", dest: "{{ playbook_dir }}/out/{{ tool }}-assembled" }
      check_mode: true
      register: as1
    - name: "show: fetch, and assemble in check mode"
      debug: { msg: "{{ f1 is changed }} {{ f1.checksum }} {{ as1 is skipped }} {{ as1.msg }}" }
    - copy: { dest: "{{ playbook_dir }}/out/{{ tool }}-counter", content: "2" }
    - count_down: { cmd: 'N=$(cat {{ playbook_dir }}/out/{{ tool }}-counter); echo $((N-1)) > {{ playbook_dir }}/out/{{ tool }}-counter; exit $N' }
      register: c1
      until: c1.rc == 0
      retries: 3
      delay: 0
    - name: "show: a project's action plugin, under until"
      debug: { msg: "{{ c1.attempts }} {{ c1.rc }} {{ c1 is failed }} {{ c1 is changed }}" }
`;


const SNAKE = `#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.words import split_words


def main():
    module = AnsibleModule(argument_spec=dict(text=dict(type='str', required=True), prefix=dict(type='str', default=''), fail=dict(type='bool', default=False)), supports_check_mode=True)
    p = module.params
    if p['fail']:
        module.fail_json(msg='asked to fail: %s' % p['text'])
    words = split_words(p['text'])
    module.exit_json(changed=len(words) > 1, words=words, joined=p['prefix'] + '_'.join(words), checked=module.check_mode)


if __name__ == '__main__':
    main()
`;

const RC_ONLY = `#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec=dict(rc=dict(type='int')))
module.exit_json(rc=module.params['rc'])
`;

const NO_CHECK = `#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec=dict())
module.exit_json(changed=True)
`;

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-unsafe-'));
  await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');
  await writeFile(path.join(work, 'play.yml'), PLAYBOOK.replace('__TOOL__', 'ansible'));
  // Each tool's own copy: the files the modules write are named after the tool.
  for (const tool of ['ansible', 'fleet']) await writeFile(path.join(work, `play-${tool}.yml`), PLAYBOOK.replace('__TOOL__', tool));
  await writeFile(path.join(work, '64169.yml'), '__foo:\n  - "foo{{ version_64169 }}"\n');
  await mkdir(path.join(work, 'library'));
  await mkdir(path.join(work, 'module_utils'));
  await writeFile(path.join(work, 'library', 'snake_words.py'), SNAKE);
  await writeFile(path.join(work, 'library', 'rc_only.py'), RC_ONLY);
  await writeFile(path.join(work, 'library', 'no_check.py'), NO_CHECK);
  await writeFile(path.join(work, 'module_utils', 'words.py'), 'def split_words(text):\n    return text.lower().split()\n');
  await mkdir(path.join(work, 'out'));
  await mkdir(path.join(work, 'src'));
  await writeFile(path.join(work, 'src', 'README'), 'the bridge\n');
  const git = 'git -c user.name=t -c user.email=t@example.invalid -c init.defaultBranch=main';
  const made = await runCommand('bash', ['-c', `set -e; cd ${work}/src; ${git} init -q .; ${git} add README; ${git} commit -qm one; ${git} clone -q --bare . ../src.git`]);
  assert.is(made.code, 0, made.stderr);
  await mkdir(path.join(work, 'action_plugins'));
  await copyFile(path.join(ROOT, 'test', 'fixtures', 'action-plugin', 'count_down.py'), path.join(work, 'action_plugins', 'count_down.py'));
  const tar = await runCommand('tar', ['-czf', path.join(work, 'bundle.tgz'), '-C', work, 'src']);
  assert.is(tar.code, 0, tar.stderr);
  await writeFile(path.join(work, 'refused.yml'), '- hosts: all\n  tasks:\n    - reboot: { msg: now }\n');
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('unsafe values, lenient hostvars and a project\'s Python modules: the same as ansible-playbook', async () => {
  const { a, j } = await runBoth(path.join(work, 'hosts.ini'), path.join(work, 'play-ansible.yml'), path.join(work, 'play-fleet.yml'));
  const want = shown(a, 'ansible').map((w) => w.replace(/\bansible(\.ini|-wc)/g, 'TOOL$1'));
  assert.is(want.length, 16, want.join('\n'));
  assert.ok(want.includes("show: unarchive, an action plugin of Ansible's => True False TgzArchive True Could not find or access 'missing.tgz'\nSearched in:\n\t" + `${work}/files/missing.tgz\n\t${work}/missing.tgz\n\t${work}/files/missing.tgz\n\t${work}/missing.tgz on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option`), want.join('\n'));
  assert.ok(want.includes("show: a project's action plugin, under until => 3 0 False True"), want.join('\n'));
  assert.ok(want.includes('show: from a with_dict item => True True'), want.join('\n'));
  assert.ok(want.includes('show: from a loop item => foo1.0'), want.join('\n'));
  assert.ok(want.includes("show: a project module's result => ['hello', 'world'] True xhello_world False"), want.join('\n'));
  assert.ok(want.some((w) => /^show: a collection's module.* => True section and option added False True \|?\[bridge\]\|port = 10000$/.test(w)), want.join('\n'));
  assert.equal(shown(j, 'fleet').map((w) => w.replace(/\bfleet(\.ini|-wc)/g, 'TOOL$1')), want);
  // The same bytes and mode from both tools.
  const [ia, ij] = await Promise.all(['ansible', 'fleet'].map((t) => runCommand('bash', ['-c', `cd ${work}/out && stat -c %a ${t}.ini && cat ${t}.ini && git -C ${t}-wc log --format=%H && cd ${t}-unpacked && find . -printf '%p %y %m %s\\n' | sort && cat ../${t}-fetched && test ! -e ../${t}-assembled`])));
  assert.is(ij.stdout, ia.stdout);
});

test("--diff shows what an ansible-core module changed (its own diff), in check mode and in a run", async () => {
  await writeFile(path.join(work, 'diff.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: ini\n      community.general.ini_file: { path: "${work}/out/diff.ini", section: s, option: port, value: "1" }\n`);
  for (const args of [['--check'], []]) {
    const r = await runCli(['run', path.join(work, 'diff.yml'), '-i', path.join(work, 'hosts.ini'), '--diff', '--output', 'json', ...args]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const host = JSON.parse(r.stdout).plays[0].tasks[0].hosts.localhost;
    assert.is(host.status, 'changed', JSON.stringify(host));
    assert.match(host.diff[0].after, /\[s\]\nport = 1\n/, `${args.join(' ') || 'run'}: ${JSON.stringify(host.diff)}`);
  }
});

test('a project module that crashes on the host, one that does not parse: each task fails with what went wrong, also in a terminal', async () => {
  await mkdir(path.join(work, 'bad', 'library'), { recursive: true });
  await writeFile(path.join(work, 'bad', 'library', 'crash.py'), "#!/usr/bin/python\nfrom ansible.module_utils.basic import AnsibleModule\nmodule = AnsibleModule(argument_spec=dict())\nraise RuntimeError('boom in the module')\n");
  await writeFile(path.join(work, 'bad', 'library', 'broken.py'), '#!/usr/bin/python\nfrom ansible.module_utils.basic import AnsibleModule\ndef main(:\n    pass\n');
  await writeFile(path.join(work, 'bad', 'play.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - crash: {}\n      ignore_errors: true\n    - broken: {}\n');
  const args = ['run', path.join(work, 'bad', 'play.yml'), '-i', path.join(work, 'hosts.ini')];
  const r = await runCli([...args, '--output', 'json']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  const [crash, broken] = JSON.parse(r.stdout).plays[0].tasks.map((t: any) => t.hosts.localhost);
  assert.match(crash.msg, /^MODULE FAILURE\nSee stdout\/stderr for the exact error: RuntimeError: boom in the module$/);
  assert.match(crash.result.module_stderr, /Traceback/);
  assert.match(broken.msg, /packing broken \(.*broken\.py\) failed: .*invalid syntax/);
  const tty = await inPty(args);
  assert.is(tty.code, 2, tty.text);
  assert.match(tty.text, /RuntimeError: boom in the module/);
  assert.match(tty.text, /invalid syntax/);
  assert.match(tty.text, /RECAP/);
  assert.not.match(tty.text, STACK_TRACE);
});

test("an action plugin that needs more of ansible-playbook than a connection (reboot): refused before the run, saying why; one that fails stops its host, also in a terminal", async () => {
  const r = await runCli(['validate', path.join(work, 'refused.yml'), '-i', path.join(work, 'hosts.ini')]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /refused\.yml:3:7: module 'reboot' is not supported: its action plugin \(ansible\.builtin\.reboot\) reconnects through Ansible's own connection/);
  // Named by a template: found when the task runs, the same way.
  await writeFile(path.join(work, 'dyn.yml'), `- hosts: all\n  gather_facts: false\n  vars: { m: community.general.ini_file, u: reboot }\n  tasks:\n    - action: "{{ m }} path=${work}/out/dyn.ini section=s option=o value=2"\n    - action: "{{ u }} msg=now"\n`);
  const dyn = await runCli(['run', path.join(work, 'dyn.yml'), '-i', path.join(work, 'hosts.ini'), '--output', 'json']);
  assert.is(dyn.code, 2, dyn.stdout + dyn.stderr);
  const [ini, reboot] = JSON.parse(dyn.stdout).plays[0].tasks.map((t: any) => t.hosts.localhost);
  assert.is(ini.status, 'changed', JSON.stringify(ini));
  assert.match(reboot.msg, /names 'reboot': module 'reboot' is not supported: its action plugin \(ansible\.builtin\.reboot\)/);
  // The default mode is a terminal: the refusal there, and an action plugin that fails in a run.
  const tty = await inPty(['run', path.join(work, 'refused.yml'), '-i', path.join(work, 'hosts.ini')]);
  assert.is(tty.code, 1, tty.text);
  assert.match(tty.text.replace(/\r?\n/g, ' '), /module 'reboot' is not supported: its action plugin \(ansible\.builtin\.reboot\) reconnects .* hint: restart with command/);
  assert.not.match(tty.text, STACK_TRACE);
  await writeFile(path.join(work, 'fails.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - unarchive: { src: missing.tgz, dest: "${work}/out" }\n    - debug: { msg: not reached }\n`);
  for (const run of [() => inPty(['run', path.join(work, 'fails.yml'), '-i', path.join(work, 'hosts.ini')]), () => runCli(['run', path.join(work, 'fails.yml'), '-i', path.join(work, 'hosts.ini'), '--output', 'plain']).then((r) => ({ code: r.code, text: r.stdout + r.stderr }))]) {
    const r = await run();
    assert.is(r.code, 2, r.text);
    assert.match(r.text, /Could not find or access 'missing\.tgz'/);
    assert.match(r.text, /RECAP/);
    assert.not.match(r.text, /not reached/);
    assert.not.match(r.text, STACK_TRACE);
  }
});

test('several hosts at once: action plugins run side by side (each host its own result), and folders they share are made by whichever comes first', async () => {
  const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
  await writeFile(path.join(work, 'six.ini'), `[all]\n${hosts.map((h) => `${h} ansible_connection=local`).join('\n')}\n`);
  await writeFile(path.join(work, 'six.yml'), `- hosts: all
  gather_facts: false
  tasks:
    - file: { path: "${work}/out/six/{{ inventory_hostname }}", state: directory }
    - unarchive: { src: bundle.tgz, dest: "${work}/out/six/{{ inventory_hostname }}" }
    - copy: { dest: "${work}/out/six/{{ inventory_hostname }}.n", content: "2" }
    - count_down: { cmd: 'N=$(cat ${work}/out/six/{{ inventory_hostname }}.n); echo $((N-1)) > ${work}/out/six/{{ inventory_hostname }}.n; exit $N' }
      register: c
      until: c.rc == 0
      delay: 0
    - name: "show: attempts"
      debug: { msg: "{{ c.attempts }} {{ inventory_hostname }}" }
`);
  const r = await runCli(['run', path.join(work, 'six.yml'), '-i', path.join(work, 'six.ini'), '--output', 'json']);
  assert.is(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const show = JSON.parse(r.stdout).plays[0].tasks.find((t: any) => t.name === 'show: attempts');
  assert.equal(hosts.map((h) => show.hosts[h].msg), hosts.map((h) => `3 ${h}`));
  const tree = await runCommand('bash', ['-c', `cd ${work}/out/six && find . -name README | sort`]);
  assert.equal(tree.stdout.trim().split('\n'), hosts.map((h) => `./${h}/src/README`));
});

test('a project module with no Python here that has ansible-core: refused before the run, with what to do', async () => {
  const r = await runCli(['validate', path.join(work, 'play.yml'), '-i', path.join(work, 'hosts.ini')], { env: { JITSI_FLEET_ANSIBLE_PYTHON: '/nonexistent/python3' } });
  assert.is.not(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /play\.yml:\d+:\d+: module 'snake_words' is Python code of this project \(.*library\/snake_words\.py\), and \/nonexistent\/python3 cannot import ansible-core/);
  assert.match(r.stderr, /JITSI_FLEET_ANSIBLE_PYTHON/);
  // The default mode is a terminal: the same report there, nothing run, no stack trace.
  const tty = await inPty(['run', path.join(work, 'play.yml'), '-i', path.join(work, 'hosts.ini')], { env: { JITSI_FLEET_ANSIBLE_PYTHON: '/nonexistent/python3' } });
  assert.is(tty.code, 1, tty.text);
  assert.match(tty.text.replace(/\r?\n/g, ' '), /module 'snake_words' is Python code of this project .* cannot import ansible-core/);
  assert.not.match(tty.text, /PLAY \[/);
  assert.not.match(tty.text, STACK_TRACE);
});

test.run();
