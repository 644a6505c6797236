/**
 * Variables and lookups where jitsi-fleet used to differ from Ansible, under
 * real ansible-playbook and under jitsi-fleet (localhost): a registered
 * result is never templated again (a command printing `{{ x }}`); set_fact
 * in k=v form with templated names; a loop whose list is undefined under a
 * false `when` is skipped; the failure messages of with_sequence and
 * with_indexed_items as rescue sees them (ansible_failed_result.msg); the
 * varnames and vars lookups; the template lookup (convert_data, other delimiters); to_json and copy's JSON content; password_hash; `}}` closing a nested dict literal; a module named by a template (`action:`); notify on a block; play-level check_mode; Jinja string escapes (`'\d'` stays a regex
 * escape); ansible_host and ansible_connection. Every shown message is the
 * same under both tools.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { runBoth, shown } from '../helpers/twins.ts';
import { ANSIBLE_ENV, runCli, runCommand } from '../helpers/cli.ts';

let work = '';

const rescued = (name: string, loop: string) => `
    - block:
        - name: "${name}"
          debug: { msg: "{{ item }}" }
          ${loop}
      rescue:
        - name: "show: ${name}"
          debug: { msg: "{{ ansible_failed_task.name }} | {{ ansible_failed_result.msg }}" }
`;

const PLAYBOOK = `
- hosts: all
  gather_facts: false
  tasks:
    - command: echo "{{ '{{' }} not_a_variable }}"
      register: out
      changed_when: false
    - name: "show: a registered output is text"
      debug: { msg: "{{ out.stdout }}" }
    - set_fact: "{{ item if (item is string) else item[0] }}={{ item }}"
      with_list: [a, [b, c]]
    - set_fact: "{{ item.0 + item.1 }}=x"
      with_nested: [[p, q], [r]]
    - name: "show: names set from templates"
      debug: { msg: "{{ a }} {{ b }} {{ b | type_debug }} {{ pr }} {{ qr }}" }
    - name: an undefined list under a false when
      debug: { msg: never }
      with_items: "{{ not_defined_anywhere }}"
      when: false
      register: skipped_loop
    - name: "show: skipped"
      debug: { msg: "{{ skipped_loop is skipped }}" }
${rescued('EXPECTED FAILURE unknown argument', 'with_sequence: start=0 junk=3')}
${rescued('EXPECTED FAILURE not an integer', 'with_sequence: A-4/2')}
${rescued('EXPECTED FAILURE backwards', 'with_sequence: start=4 end=1 stride=2')}
${rescued('EXPECTED FAILURE format', 'with_sequence: start=1 end=4 format=d')}
${rescued('EXPECTED FAILURE not a list', 'with_indexed_items: { a: 1 }')}
    - name: "show: sequences"
      debug: { msg: "{{ lookup('sequence', 'count=3 stride=2', wantlist=True) }} {{ lookup('sequence', '0x0a-0x0c:n%02x', wantlist=True) }} {{ query('sequence', 'start=5 end=1 stride=-2') }}" }
    - set_fact: { qz_1: hello, qz_2: world, qa_1: other }
    - name: "show: varnames"
      debug: { msg: "{{ lookup('varnames', '^qz_.+', wantlist=True) }} {{ lookup('varnames', '^q.*_\\\\d') }}" }
    - name: "show: vars and connection variables"
      debug: { msg: "{{ lookup('vars', 'ansible_host') == ansible_host }} {{ ansible_connection }} {{ lookup('vars', 'missing', default='dflt') }}" }
    - name: a module named by a template, its arguments in args
      action: "{{ 'de' ~ 'bug' }}"
      args: { msg: "from a templated action" }
      register: dyn1
    - name: a module named by a template, its arguments after it
      action: "{{ 'debug' if true else 'fail' }} msg=k=v"
      register: dyn2
    - name: "show: templated actions"
      debug: { msg: "{{ dyn1.msg }} {{ dyn2.msg }}" }
    - set_fact: { two_lines: "a\\nb" }
    - name: "show: a bare condition decodes escapes, as Ansible's if block"
      debug: { msg: matched }
      when: two_lines == 'a\\nb' and '\\d' | length == 2
    - set_fact:
        merged: "{{ {'c': 3} | combine({'a': {'b': [1, 2]}}) }}"
    - name: "show: a dict literal inside a dict literal (}} that does not end the tag)"
      debug: { msg: "{{ merged.a.b[1] }} {{ merged | type_debug }} {{ {'x': {'y': 'z'}}.x.y }}" }
    - name: "show: password_hash as crypt(3) makes it"
      debug: { msg: "{{ 'secret' | password_hash('sha512', 'mysalt') }} {{ 'secret' | password_hash('sha256', 'abc', rounds=6000) }} {{ ('secret' | password_hash('sha512')) is match('[$]6[$][./0-9A-Za-z]{16}[$]') }}" }
    - copy: { dest: "{{ playbook_dir }}/out.json", content: { b: [1, "\u00e9", null], a: "q" } }
    - command: cat "{{ playbook_dir }}/out.json"
      register: json_file
      changed_when: false
    - name: "show: to_json, to_nice_json and copy's content as Python's json.dumps"
      debug: { msg: "{{ {'a': 1, 'b': ['\u00e9', none]} | to_json }}|{{ {'b': 1, 'a': {}} | to_nice_json }}|{{ [1, 2] | to_json(indent=2) }}|{{ json_file.stdout }}" }
    - name: "show: the template lookup: convert_data, other delimiters"
      vars: { my_var: world }
      debug: { msg: "{{ lookup('template', 'dict.j2') is mapping }} {{ lookup('template', 'dict.j2', convert_data=False) is mapping }} {{ lookup('template', 'hello_string.txt', variable_start_string='[%', variable_end_string='%]') | trim }} {{ lookup('template', 'hello_comment.txt', comment_start_string='[#', comment_end_string='#]') | trim }}" }
    - block:
        - command: "true"
        - debug: { msg: not a change }
      notify: "show: the block's handler"
    - name: "show: string escapes"
      debug: { msg: "{{ 'a1b22' | regex_findall('\\\\d+') }} {{ 'tab\\\\there' }} {{ '\\\\x41\\\\u00e9' }}" }
  handlers:
    - name: "show: the block's handler"
      debug: { msg: "notified by a task of the block" }
- hosts: all
  gather_facts: false
  check_mode: true
  tasks:
    - copy: { dest: "{{ playbook_dir }}/never.txt", content: "x" }
      register: would
    - stat: { path: "{{ playbook_dir }}/never.txt" }
      register: never
    - file: { path: "{{ playbook_dir }}/made.txt", state: absent }
      check_mode: false
    - copy: { dest: "{{ playbook_dir }}/made.txt", content: "y" }
      check_mode: false
      register: made
    - name: "show: play-level check_mode, a task's own wins"
      debug: { msg: "{{ would is changed }} {{ never.stat.exists }} {{ made is changed }} {{ lookup('file', playbook_dir ~ '/made.txt') }}" }
`;

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-variables-'));
  await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');
  await writeFile(path.join(work, 'play.yml'), PLAYBOOK);
  await mkdir(path.join(work, 'templates'));
  await writeFile(path.join(work, 'templates', 'dict.j2'), `{"foo": "{{ 'bar' }}"}\n`);
  await writeFile(path.join(work, 'templates', 'hello_string.txt'), 'Hello [% my_var %], {{ not_a_var }} {# kept #}!\n');
  await writeFile(path.join(work, 'templates', 'hello_comment.txt'), '[# Comment #]\nHello {{ my_var | default("you") }}! {# also a comment #}\n');
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('registered output, templated set_fact names, skipped loops, lookup messages, varnames, escapes: the same as ansible-playbook', async () => {
  const { a, j } = await runBoth(path.join(work, 'hosts.ini'), path.join(work, 'play.yml'));
  const want = shown(a, 'ansible');
  assert.is(want.length, 20, want.join('\n'));
  assert.ok(want.includes('show: a registered output is text => {{ not_a_variable }}'), want.join('\n'));
  assert.ok(want.includes("show: EXPECTED FAILURE unknown argument => EXPECTED FAILURE unknown argument | unrecognized arguments to with_sequence: ['junk']"), want.join('\n'));
  assert.equal(shown(j, 'fleet'), want);
});

test("the run's settings as Ansible's magic variables: ansible_run_tags, ansible_skip_tags, ansible_forks, ansible_verbosity, ansible_inventory_sources", async () => {
  await writeFile(path.join(work, 'magic.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: "show: magic"\n      debug: { msg: "{{ ansible_run_tags }} {{ ansible_skip_tags }} {{ ansible_forks }} {{ ansible_verbosity }} {{ ansible_inventory_sources }}" }\n      tags: [always]\n`);
  // One tag each: Ansible keeps them in a Python set, whose order changes from run to run.
  for (const args of [[], ['--tags', 'a', '--skip-tags', 'c', '-f', '7']]) {
    const inv = path.join(work, 'hosts.ini');
    const a = await runCommand('ansible-playbook', ['-i', inv, path.join(work, 'magic.yml'), ...args], { env: { ...ANSIBLE_ENV, ANSIBLE_STDOUT_CALLBACK: 'json' } });
    assert.is(a.code, 0, a.stdout + a.stderr);
    const j = await runCli(['run', path.join(work, 'magic.yml'), '-i', inv, '--output', 'json', ...args]);
    assert.is(j.code, 0, j.stdout + j.stderr);
    const want = shown(JSON.parse(a.stdout.slice(a.stdout.indexOf('{'))), 'ansible');
    assert.is(want.length, 1, want.join('\n'));
    assert.equal(shown(JSON.parse(j.stdout), 'fleet'), want);
  }
});

test.run();
