/**
 * A public role we did not write (geerlingguy.nginx, vendored under
 * test/fixtures/roles with its MIT licence) on fresh lab hosts, one per tool:
 * ansible-playbook 2.14 on r1, jitsi-fleet on r2, the same playbook, inventory
 * and ansible.cfg. Check mode plans the same changes task by task; the real
 * runs change the same tasks and leave the same bytes in the files the role
 * writes; a second check finds nothing to change under either tool.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';
import { fleetInLab, inLab, labHome } from '../helpers/lab-cli.ts';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { Lab } from './lab.ts';

const skip = await labOrSkip();
const ROLES = path.join(ROOT, 'test', 'fixtures', 'roles');
let lab: Lab;
let dir = '';
let env: Record<string, string> = {};

// The role's own example of a vhost, one vhost to remove, and the default vhost removed;
// nginx-light is the nginx of the lab's image (no network for another package).
const PLAYBOOK = `
- hosts: web
  vars:
    nginx_package_name: nginx-light
    nginx_remove_default_vhost: true
    nginx_upstreams:
      - name: jvb
        strategy: ip_hash
        servers: ["127.0.0.1:9090", "127.0.0.1:9091 max_fails=3"]
    nginx_vhosts:
      - listen: "80"
        server_name: "meet.example.com www.meet.example.com"
        server_name_redirect: "old.meet.example.com"
        root: /usr/share/jitsi-meet
        index: index.html
        extra_parameters: |
          location = /http-bind {
              proxy_pass http://127.0.0.1:5280/http-bind;
          }
      - server_name: gone.example.com
        state: absent
  roles:
    - geerlingguy.nginx
`;

type Step = { task: string; changed: boolean };

/** The tasks that ran on the host (not skipped), in order, each changed or not; the role's prefix dropped. */
function stepsOf(stdout: string, host: string, tool: 'ansible' | 'fleet'): Step[] {
  const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
  const steps: Step[] = [];
  for (const play of report.plays ?? [])
    for (const t of play.tasks ?? []) {
      const h = t.hosts?.[host];
      const name = String(tool === 'ansible' ? t.task?.name ?? '' : t.name ?? '').replace(/^[\w.-]+ : /, '');
      if (!h || !name || /^(include_tasks|import_tasks|ansible\.builtin\.include_tasks)\b/.test(name)) continue;
      const skipped = tool === 'ansible' ? h.skipped === true || (Array.isArray(h.results) && h.results.length > 0 && h.results.every((i: any) => i.skipped)) : h.status === 'skipped';
      if (skipped) continue;
      if (tool === 'fleet' && h.status === 'failed') assert.unreachable(`jitsi-fleet: ${name} failed: ${h.msg}`);
      if (tool === 'ansible' && h.failed) assert.unreachable(`ansible-playbook: ${name} failed: ${h.msg}`);
      steps.push({ task: name, changed: Boolean(h.changed) });
    }
  return steps;
}

async function both(extra: string[]): Promise<{ ansible: Step[]; fleet: Step[] }> {
  const play = path.join(dir, 'site.yml');
  const [a, f] = await Promise.all([
    inLab(lab, 'ansible-playbook', ['-i', path.join(dir, 'hosts.yml'), '--limit', 'r1', play, ...extra], { cwd: dir, env: { ...env, ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json' } }),
    fleetInLab(lab, ['run', play, '-i', path.join(dir, 'hosts.yml'), '--limit', 'r2', '--output', 'json', ...extra], { env }),
  ]);
  if (a.code !== 0) {
    const why = await lab.exec('r1', 'nginx -t 2>&1');
    assert.unreachable(`ansible-playbook failed (exit ${a.code}); nginx -t on r1: ${why.stdout}\n${a.stdout.slice(-3000)}${a.stderr.slice(-2000)}`);
  }
  assert.is(f.code, 0, `jitsi-fleet: ${f.stdout.slice(-3000)}${f.stderr.slice(-2000)}`);
  return { ansible: stepsOf(a.stdout, 'r1', 'ansible'), fleet: stepsOf(f.stdout, 'r2', 'fleet') };
}

if (!skip) {
  setup(test, async () => {
    lab = await Lab.start(['r1', 'r2']);
    await lab.trustAllHosts(path.join(await labHome(lab), '.ssh', 'known_hosts'));
    dir = path.join(lab.dir, 'work');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'hosts.yml'), lab.inventory({ web: ['r1', 'r2'] }));
    await writeFile(path.join(dir, 'site.yml'), PLAYBOOK);
    await writeFile(path.join(dir, 'ansible.cfg'), `[defaults]\nroles_path = ${ROLES}\nhost_key_checking = False\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\n`);
    env = { ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' };
  });

  test.after(async () => {
    await lab?.stop();
  });

  test('check mode: the same tasks run and the same ones would change, under ansible-playbook and jitsi-fleet', async () => {
    const { ansible, fleet } = await both(['--check', '--diff']);
    assert.ok(ansible.some((s) => s.changed), 'a fresh host has something to change');
    assert.equal(fleet, ansible);
  });

  test('a real run changes the same tasks and leaves the same bytes; a second check changes nothing', async () => {
    const { ansible, fleet } = await both([]);
    assert.equal(fleet, ansible);
    const files = ['/etc/nginx/nginx.conf', '/etc/nginx/sites-enabled/meet.example.com.conf'];
    for (const f of files) {
      const [a, b] = await Promise.all([lab.exec('r1', `sha256sum ${f}; stat -c '%a %U %G' ${f}`), lab.exec('r2', `sha256sum ${f}; stat -c '%a %U %G' ${f}`)]);
      assert.is(a.code, 0, a.stderr);
      if (b.stdout !== a.stdout) assert.fixture((await lab.exec('r2', `cat ${f}`)).stdout, (await lab.exec('r1', `cat ${f}`)).stdout, `${f}: the same bytes`);
      assert.is(b.stdout, a.stdout, `${f}: the same bytes, mode and owner`);
    }
    for (const h of ['r1', 'r2']) assert.is((await lab.exec(h, 'test -e /etc/nginx/sites-enabled/default; echo $?')).stdout.trim(), '1', `${h}: default vhost removed`);
    const again = await both(['--check']);
    assert.equal(again.fleet, again.ansible);
    assert.equal(again.fleet.filter((s) => s.changed), [], 'nothing left to change');
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
