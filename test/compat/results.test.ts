/**
 * What registered results hold and what Ansible's core tests answer, under
 * real ansible-playbook and under jitsi-fleet (localhost): command and shell
 * results (a multi-line script's cmd as split_args joins it, check mode's
 * message, a missing chdir, no command at all), failed_when_result and the
 * `<keyword>_result` of a condition that cannot be evaluated, the result
 * tests (a mapping only), version schemes and their errors, truthy/falsy,
 * contains and search on any value, Python's negative indexes, float('nan'),
 * JSON's null/true/false in templated text, Jinja's comparison tests, the
 * include_vars failure message, lineinfile's and wait_for's result keys.
 * Every shown message is the same under both tools.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { runBoth, shown } from '../helpers/twins.ts';

let work = '';

/** A task that must fail, then its registered result shown (its failure ignored). */
const failing = (name: string, task: string, show: string) => `
    - name: "${name}"
${task}
      register: r
      ignore_errors: true
    - name: "show: ${name}"
      debug: { msg: "${show}" }
`;

const PLAYBOOK = `
- hosts: all
  gather_facts: false
  tasks:
    - shell: |
        echo this is a \\
        "multi line" \\
        "with a new line
        in quotes" | wc -c
        echo "second line"
      register: sh
    - name: "show: a multi-line shell script's cmd and output"
      debug: { msg: "{{ sh.cmd }}|{{ sh.stdout }}" }
    - command: { cmd: "true" }
      check_mode: true
      register: c1
    - command: { cmd: "true", creates: "{{ playbook_dir }}/*.yml" }
      check_mode: true
      register: c2
    - name: "show: command in check mode"
      debug: { msg: "{{ 'Command would have run if not in check mode' in c1.msg }} {{ c1 is skipped }} {{ c1 is changed }} {{ c2 is changed }} {{ 'skipped' in c2 }}" }
${failing('a folder that is not there', '      command: echo\n      args: { chdir: /nonexistent-folder }', "{{ r.msg }}")}
${failing('no command at all', '      command:\n      args: { chdir: / }', "{{ r.msg }} {{ r.rc }}")}
    - command: echo foo
      failed_when: false
      register: fw
    - name: "show: failed_when_result"
      debug: { msg: "{{ fw.failed_when_result }} {{ fw is failed }}" }
${failing('a failed_when that cannot be evaluated', '      command: echo foo\n      failed_when: boomboomboom', "{{ r is failed }} {{ r.stdout }} {{ r.failed_when_result is contains('boomboomboom') }}")}
${failing('a result test on a string', '      set_fact: { x: "{{ \'nope\' is failed }}" }', "{{ r is failed }}")}
${failing('a version operator that is not one', '      set_fact: { x: "{{ \'1.0\' is version(\'1.0\', \'equals\') }}" }', "{{ r is failed }}")}
${failing('an empty version', '      debug: { msg: "{{ \'\' is version(\'1.0\', \'>\') }}" }', "{{ r is search('version value cannot be empty') }}")}
    - name: "show: version schemes"
      debug: { msg: "{{ '1.2.3' is version('2.0.0', 'lt', version_type='semver') }} {{ '1.0.0-alpha.1' is version('1.0.0-alpha.beta', '<', version_type='semver') }} {{ '1.10' is version('1.9', '>') }} {{ '1.0a1' is version('1.0', '<', true) }} {{ '2.0' is version_compare('1.0', '>') }}" }
    - name: "show: truth and membership"
      debug: { msg: "{{ {} is truthy }} {{ [] is falsy }} {{ 'off' is falsy(convert_bool=True) }} {{ 'fred' is truthy(convert_bool=True) }} {{ 'abc boom' is contains('boom') }} {{ [1, [2]] is contains([2]) }} {{ [1] is issubset([1, 2]) }}" }
    - name: "show: negative indexes, nan, JSON names in text, comparison tests"
      vars:
        lines: [a, b, c]
        js: '{{ "" }}{"n": null, "t": true, "f": false}'
      debug: { msg: "{{ lines[-1] }} {{ 'abc'[-2] }} {{ 'nan' | float is nan }} {{ ('bad' | float) == 0 }} {{ js.n is none }} {{ js.t is true }} {{ [{'failed': false}, {'failed': true}] | selectattr('failed', '==', true) | list | length }} {{ [1, 5, 3] | select('>', 2) | list }}" }
${failing('include_vars of a file that is not there', '      include_vars:\n        file: "{{ lookup(\'first_found\', [\'does_not_exist.yml\'], errors=\'ignore\') }}"', "{{ r.message }}")}
    - copy: { dest: "{{ playbook_dir }}/lines.txt", content: "a\\nb\\n" }
    - lineinfile: { path: "{{ playbook_dir }}/lines.txt", regexp: "", line: c }
      register: li
    - name: "show: lineinfile with an empty regexp"
      debug: { msg: "{{ li.warnings | length }} {{ li.warnings[0] is search('empty string') }}" }
    - wait_for: { timeout: 1 }
      register: w
    - name: "show: wait_for with only a timeout"
      debug: { msg: "{{ w.elapsed >= 1 }} {{ w.port }} {{ w.search_regex }} {{ w.match_groups }}" }
`;

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-results-'));
  await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');
  await writeFile(path.join(work, 'play.yml'), PLAYBOOK);
  await mkdir(path.join(work, 'vars'));
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('command results, failed_when_result, core tests, indexes and text values, include_vars, lineinfile and wait_for keys: the same as ansible-playbook', async () => {
  const { a, j } = await runBoth(path.join(work, 'hosts.ini'), path.join(work, 'play.yml'));
  const want = shown(a, 'ansible');
  assert.is(want.length, 15, want.join('\n'));
  assert.ok(want.includes('show: no command at all => no command given 256'), want.join('\n'));
  assert.ok(want.some((w) => w.startsWith('show: negative indexes, nan, JSON names in text, comparison tests => c b True True True True 1')), want.join('\n'));
  assert.equal(shown(j, 'fleet'), want);
});

test.run();
