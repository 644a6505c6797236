/**
 * include_tasks with a loop under real ansible-playbook and under
 * jitsi-fleet (local hosts with different lists): the included tasks run
 * once per item with the loop variable (loop_var, index_var, extended), a
 * host with fewer items sits the rest out, `when` is checked per item, and
 * with_items flattens as Ansible's, the old `file=` form; include_role with a loop; changed_when sees
 * the loop variable and loop_var may be a template; the same messages.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.ts';
import { runBoth } from '../helpers/twins.ts';

let work = '';

const PLAYBOOK = `
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: each.yml
      loop: "{{ bridges }}"
    - include_tasks: named.yml
      loop: "{{ bridges }}"
      loop_control: { loop_var: bridge, index_var: i, extended: true }
      when: bridge != 'skipme'
    - include_tasks: each.yml
      with_items: [[a, b], c]
    - include_tasks: each.yml
      loop: []
    - include_tasks: file=plain.yml
    - include_role: { name: greeter }
      loop: "{{ bridges }}"
      loop_control: { loop_var: who }
    - name: say changed per item
      command: echo {{ item }}
      loop: [1, 2]
      changed_when: item == 2
      register: per_item
    - name: say the changed flags
      debug: { msg: "{{ per_item.results | map(attribute='changed') | list }} {{ per_item is changed }}" }
    - name: say a templated loop_var
      debug: { msg: "{{ thing }}" }
      loop: [x, y]
      loop_control: { loop_var: "{{ var_name }}" }
      vars: { var_name: thing }
`;

/** Every debug message, task by task: name, then host=msg, in host order. */
function messages(report: any, tool: 'ansible' | 'fleet'): string[] {
  const rows: string[] = [];
  for (const play of report.plays)
    for (const t of play.tasks) {
      // Ansible names a role's tasks "role : task".
      const name = String(tool === 'ansible' ? t.task.name : t.name).replace(/^[\w.-]+ : /, '');
      if (!name.startsWith('say')) continue;
      const hosts = Object.entries<any>(t.hosts).filter(([, r]) => !(r.skipped || r.status === 'skipped')).sort(([a], [b]) => a.localeCompare(b));
      rows.push(`${name}: ${hosts.map(([h, r]) => `${h}=${r.msg}`).join(' ')}`);
    }
  return rows;
}

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-incloop-'));
  await writeFile(path.join(work, 'hosts.ini'), "h1 ansible_connection=local bridges='[\"jvb1\", \"skipme\", \"jvb3\"]'\nh2 ansible_connection=local bridges='[\"jvb9\"]'\n");
  await writeFile(path.join(work, 'play.yml'), PLAYBOOK);
  await writeFile(path.join(work, 'plain.yml'), '- name: say plain\n  debug: { msg: plain }\n');
  await mkdir(path.join(work, 'roles', 'greeter', 'tasks'), { recursive: true });
  await mkdir(path.join(work, 'roles', 'greeter', 'defaults'), { recursive: true });
  await writeFile(path.join(work, 'roles', 'greeter', 'defaults', 'main.yml'), 'greeting: hello\n');
  await writeFile(path.join(work, 'roles', 'greeter', 'tasks', 'main.yml'), '- name: say from the role\n  debug: { msg: "{{ greeting }} {{ who }}" }\n');
  await writeFile(path.join(work, 'each.yml'), '- name: say item\n  debug: { msg: "item {{ item }}" }\n');
  await writeFile(path.join(work, 'named.yml'), '- name: say bridge\n  debug: { msg: "{{ i }} {{ bridge }} {{ ansible_loop.length }} {{ ansible_loop.last }}" }\n- name: say twice\n  debug: { msg: "again {{ bridge }}" }\n');
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('include_tasks and include_role with loop, loop_control and with_items: the same runs as ansible-playbook', async () => {
  const { a, j } = await runBoth(path.join(work, 'hosts.ini'), path.join(work, 'play.yml'));
  const want = messages(a, 'ansible');
  assert.ok(want.includes('say bridge: h1=2 jvb3 3 True'), want.join('\n'));
  const got = messages(j, 'fleet');
  // Which inclusions run together (one row) must match; across hosts with different items Ansible's
  // order is the order its workers answered in, so each host's own sequence is compared, not the interleaving.
  assert.equal([...got].sort(), [...want].sort());
  const perHost = (rows: string[], h: string) => rows.flatMap((r) => [...r.matchAll(new RegExp(`${h}=(.*?)(?= h\\d=|$)`, 'g'))].map((m) => `${r.split(':')[0]}: ${m[1]}`));
  for (const h of ['h1', 'h2']) assert.equal(perHost(got, h), perHost(want, h), `${h}: its inclusions in order`);
});

test('import_tasks cannot loop: refused before the run, naming include_tasks', async () => {
  await writeFile(path.join(work, 'bad.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - import_tasks: each.yml\n      loop: [1, 2]\n');
  const r = await runCli(['run', path.join(work, 'bad.yml'), '-i', path.join(work, 'hosts.ini')]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr + r.stdout, /bad\.yml:5:7: import_tasks cannot loop.*use include_tasks/);
});

test.run();
