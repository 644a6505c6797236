/**
 * The same add-bridge.yml and inventory under ansible-playbook (with
 * community.general for ufw): the same result. Ansible configures a fresh
 * main server and two bridges; jicofo then sees all three bridges, and a
 * jitsi-fleet run afterwards finds nothing to change.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';
import { fleetInLab, inLab, labHome } from '../helpers/lab-cli.ts';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { DOMAIN, JitsiLab } from './jitsi.ts';

const skip = await labOrSkip();
const PLAYBOOK = path.join(ROOT, 'playbooks', 'add-bridge.yml');
let j: JitsiLab;

if (!skip) {
  setup(test, async () => {
    j = await JitsiLab.start('meet', ['jvb2', 'jvb3']);
    await labHome(j.lab);
  });

  test.after(async () => {
    await j?.stop();
  });

  test('ansible-playbook runs add-bridge.yml with the same result, and jitsi-fleet then changes nothing', async () => {
    const dir = path.join(j.lab.dir, 'work');
    await mkdir(dir, { recursive: true });
    const inv = path.join(dir, 'hosts.yml');
    await writeFile(inv, j.inventory({ jvb2: 'videobridge2', jvb3: 'videobridge3' }));
    await writeFile(path.join(dir, 'ansible.cfg'), '[defaults]\nhost_key_checking = False\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\nforks = 10\n\n[ssh_connection]\npipelining = True\n');
    const a = await inLab(j.lab, 'ansible-playbook', ['-i', inv, PLAYBOOK], { cwd: dir, env: { ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' } });
    assert.is(a.code, 0, a.stdout.slice(-4000) + a.stderr.slice(-2000));
    assert.equal(await j.jicofoSees(3), ['jitsi-videobridge', 'videobridge2', 'videobridge3'].map((s) => `${s}.${DOMAIN}`));
    await j.lab.trustAllHosts(path.join(j.lab.dir, 'home', '.ssh', 'known_hosts'));
    const r = await fleetInLab(j.lab, ['run', PLAYBOOK, '-i', inv, '--output', 'json']);
    assert.is(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const changed = report.plays.flatMap((p: any) => p.tasks.flatMap((t: any) => Object.entries<any>(t.hosts).filter(([, h]) => h.changed).map(([h]) => `${h}: ${t.name}`)));
    assert.equal(changed, [], 'what ansible-playbook left, jitsi-fleet finds complete');
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
