/**
 * group_by and add_host under real ansible-playbook and under jitsi-fleet
 * (local hosts): the same groups and hosts in the later plays, the same
 * variables, the same changed flags; a play whose pattern still matches
 * nothing is skipped by both.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
    - name: split by kind
      group_by:
        key: "kind_{{ 'bridge' if inventory_hostname == 'h1' else 'main' }}"
        parents: [jitsi]
    - name: again, nothing new
      group_by: { key: "kind_{{ 'bridge' if inventory_hostname == 'h1' else 'main' }}", parents: jitsi }
    - name: a new host
      add_host:
        name: "extra1"
        groups: [extras, kind_bridge]
        ansible_connection: local
        label: "added by {{ inventory_hostname }}"
    - name: a host with a port
      add_host: { name: "extra2:2222", group: extras, ansible_connection: local }
- hosts: kind_bridge
  gather_facts: false
  tasks:
    - name: who is a bridge
      debug: { msg: "{{ inventory_hostname }} {{ group_names | join(',') }}" }
- hosts: extras
  gather_facts: false
  tasks:
    - name: the added hosts
      debug: { msg: "{{ inventory_hostname }} {{ label | default('-') }} {{ ansible_port | default('-') }} {{ groups['extras'] | join(',') }} {{ groups['jitsi'] | sort | join(',') }}" }
- hosts: never_made
  gather_facts: false
  tasks:
    - debug: { msg: never }
`;

const SHOWN = ['who is a bridge', 'the added hosts'];

/** Play by play: task name, then host=msg/changed, in host order. */
function summary(report: any, tool: 'ansible' | 'fleet'): string[] {
  const rows: string[] = [];
  for (const play of report.plays) {
    for (const t of play.tasks) {
      const name = tool === 'ansible' ? t.task.name : t.name;
      const hosts = Object.entries<any>(t.hosts).sort(([a], [b]) => a.localeCompare(b));
      // The debug messages tell what the later plays see; group_by and add_host are compared by their changed flags.
      rows.push(`${name}: ${hosts.map(([h, r]) => `${h}=${SHOWN.includes(name) ? r.msg : ''}/${Boolean(r.changed)}`).join(' ')}`);
    }
  }
  return rows;
}

setup(test, async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jf-invedit-'));
  await writeFile(path.join(work, 'hosts.ini'), 'h1 ansible_connection=local\nh2 ansible_connection=local\n');
  await writeFile(path.join(work, 'play.yml'), PLAYBOOK);
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('group_by and add_host: the same later plays, hosts, variables and changed flags as ansible-playbook', async () => {
  const inv = path.join(work, 'hosts.ini');
  const play = path.join(work, 'play.yml');
  const { a, j } = await runBoth(inv, play);
  const want = summary(a, 'ansible');
  assert.ok(want.some((r) => r.startsWith('the added hosts: extra1=extra1 added by h1')), want.join('\n'));
  assert.equal(summary(j, 'fleet'), want);
  const v = await runCli(['validate', play, '-i', inv]);
  assert.is(v.code, 0, v.stdout + v.stderr);
});

test.run();
