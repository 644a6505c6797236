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
${failing('a vault file copied without a vault password', '      copy: { src: "{{ playbook_dir }}/vault-file", dest: "{{ playbook_dir }}/vault-out" }', "{{ r.msg }}")}
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
  // The head of an ansible-vault file (its body does not matter: without a password it is not opened).
  await writeFile(path.join(work, 'vault-file'), '$ANSIBLE_VAULT;1.1;AES256\n3631386264626565\n');
  await mkdir(path.join(work, 'vars'));
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('command results, failed_when_result, core tests, indexes and text values, include_vars, lineinfile and wait_for keys: the same as ansible-playbook', async () => {
  const { a, j } = await runBoth(path.join(work, 'hosts.ini'), path.join(work, 'play.yml'));
  const want = shown(a, 'ansible');
  assert.is(want.length, 16, want.join('\n'));
  assert.ok(want.some((w) => /vault file copied .* => A vault password or secret must be specified to decrypt \S*vault-file$/.test(w)), want.join('\n'));
  assert.ok(want.includes('show: no command at all => no command given 256'), want.join('\n'));
  assert.ok(want.some((w) => w.startsWith('show: negative indexes, nan, JSON names in text, comparison tests => c b True True True True 1')), want.join('\n'));
  assert.equal(shown(j, 'fleet'), want);
});

/**
 * What each host showed, in order: the messages of its debug tasks and handlers. (Per host, as
 * ansible-playbook's JSON report files a host's result under another task's name when hosts run
 * handlers at different points.)
 */
function shownByHost(report: any): Record<string, string[]> {
  const rows: Record<string, string[]> = {};
  for (const play of report.plays)
    for (const t of play.tasks)
      for (const [h, r] of Object.entries<any>(t.hosts)) {
        if (r.skipped || r.status === 'skipped' || typeof r.msg !== 'string' || !r.msg.startsWith('show ')) continue;
        (rows[h] ??= []).push(r.msg);
      }
  return rows;
}

test('meta with when: end_host and flush_handlers per host, end_play by the first host, as ansible-playbook', async () => {
  await writeFile(path.join(work, 'three.ini'), 'h1 ansible_connection=local d=Debian\nh2 ansible_connection=local d=Alpine\nh3 ansible_connection=local d=Debian\n');
  const show = (what: string) => `debug: { msg: "show ${what} on {{ inventory_hostname }}" }`;
  await writeFile(
    path.join(work, 'meta.yml'),
    `
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_host
      when: d == 'Alpine'
    - ${show('after a conditional end_host')}
    - command: "true"
      notify: h
      when: inventory_hostname != 'h3'
    - meta: flush_handlers
      when: inventory_hostname == 'h3'
    - ${show('after a flush that holds only where nothing was notified')}
    - meta: flush_handlers
      when: d == 'Debian'
    - ${show('after the flush')}
    - meta: end_play
      when: inventory_hostname == 'h3'
    - ${show('after an end_play that looked at the first host only')}
    - meta: end_host
      when: inventory_hostname == 'h1'
    - ${show('after h1 ended')}
  handlers:
    - name: h
      ${show('the handler')}
- hosts: all
  gather_facts: false
  tasks:
    - ${show('in the next play, ended hosts again')}
    - meta: end_play
      when: inventory_hostname == 'h1'
    - ${show('never: the play ended')}
`,
  );
  const { a, j } = await runBoth(path.join(work, 'three.ini'), path.join(work, 'meta.yml'));
  const want = shownByHost(a);
  const steps = ['after a conditional end_host', 'after a flush that holds only where nothing was notified', 'after the flush', 'after an end_play that looked at the first host only'];
  const next = 'in the next play, ended hosts again';
  assert.equal(want, {
    h1: [...steps.slice(0, 2), 'the handler', ...steps.slice(2), next].map((w) => `show ${w} on h1`),
    h2: [next].map((w) => `show ${w} on h2`),
    h3: [...steps, 'after h1 ended', next].map((w) => `show ${w} on h3`),
  });
  assert.equal(shownByHost(j), want);
});

test.run();
