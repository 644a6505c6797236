/**
 * End to end over real SSH on real Debian hosts (the lab): the runner's core
 * features, check mode leaving hosts byte-identical, host keys, unreachable
 * hosts, authentication errors, become with a sudo password, and a
 * connection cut in the middle of a write.
 */
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { fingerprint } from '../../src/connection/known-hosts.ts';
import { fleetInLab, inLab, labHome } from '../helpers/lab-cli.ts';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { CONTROLLER_ADDRESS, DEPLOY_PASSWORD, ed25519KeyPair, Lab } from './lab.ts';
import { inPty, STACK_TRACE } from '../helpers/pty.ts';
import { ROOT } from '../helpers/cli.ts';

const skip = await labOrSkip();
let lab: Lab;
let home = '';
const HOSTS = ['web1', 'web2', 'web3'];

async function file(name: string, text: string): Promise<string> {
  const p = path.join(lab.dir, 'work', name);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, text);
  return p;
}

async function etcSums(host: string): Promise<string> {
  const r = await lab.exec(host, 'find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum; find /etc -xdev -printf "%p %m %u %g\\n" | sort');
  assert.is(r.code, 0, r.stderr);
  return r.stdout;
}

async function json(args: string[]): Promise<{ code: number; report: any; stderr: string; raw: string }> {
  const r = await fleetInLab(lab, [...args, '--output', 'json']);
  let report: any;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    report = undefined;
  }
  return { code: r.code, report, stderr: r.stderr, raw: r.stdout };
}

/** SSH logins each host's sshd has accepted so far. */
async function logins(): Promise<number[]> {
  return Promise.all(HOSTS.map(async (h) => Number((await lab.exec(h, 'grep -c "^Accepted" /var/log/sshd.log || true')).stdout.trim())));
}

const CORE = `
- name: core features over SSH
  hosts: web
  tasks:
    - name: config file
      copy:
        dest: /etc/jf-core.conf
        content: "JVB_OPTS=\\"--apis=,\\"\\nJVB_HOST=\\n"
        force: false
    - name: subdomain per host
      lineinfile:
        path: /etc/jf-core.conf
        regexp: '^JVB_OPTS='
        line: 'JVB_OPTS="--apis=rest,xmpp --subdomain={{ inventory_hostname }}"'
      notify: restart
    - name: several lines
      lineinfile: { path: /etc/jf-core.conf, line: "{{ item }}" }
      loop: [A=1, B=2]
      notify: restart
    - name: read it back
      command: cat /etc/jf-core.conf
      register: conf
      changed_when: false
    - name: once, on the first host
      shell: hostname > /etc/jf-once
      args: { creates: /etc/jf-once }
      run_once: true
    - name: each host tells web1 its address
      lineinfile:
        path: /etc/jf-peers
        line: "{{ inventory_hostname }} {{ ansible_default_ipv4.address }} {{ conf.stdout_lines | length }}"
        create: true
      delegate_to: web1
  handlers:
    - name: restart
      shell: echo restarted >> /etc/jf-restarts
`;

if (!skip) {
  setup(test, async () => {
    lab = await Lab.start(HOSTS);
    home = await labHome(lab);
    await file('hosts.yml', lab.inventory({ web: HOSTS }));
    await file('core.yml', CORE);
  });

  test.after(async () => {
    await lab?.stop();
  });

  test('unknown host keys are refused with their fingerprints (exit 4); accept-new records them', async () => {
    await writeFile(path.join(home, '.ssh', 'known_hosts'), '');
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const play = path.join(lab.dir, 'work', 'core.yml');
    const refused = await fleetInLab(lab, ['run', play, '-i', inv]);
    assert.is(refused.code, 4, refused.stdout + refused.stderr);
    for (const h of HOSTS) {
      const blob = Buffer.from(lab.host(h).hostKey.split(' ')[1], 'base64');
      assert.ok(refused.stdout.includes(fingerprint(blob)), `fingerprint of ${h} shown`);
    }
    assert.match(refused.stdout, /--host-key-checking accept-new/);
    const accepted = await fleetInLab(lab, ['run', play, '-i', inv, '--host-key-checking', 'accept-new']);
    assert.is(accepted.code, 0, accepted.stdout + accepted.stderr);
    const known = await readFile(path.join(home, '.ssh', 'known_hosts'), 'utf8');
    for (const h of HOSTS) assert.ok(known.includes(`${lab.host(h).address} ${lab.host(h).hostKey}`), `${h} recorded`);
  });

  test('core features over SSH: handlers, loops, register, run_once, delegate_to; second run 0 changed', async () => {
    await lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const play = path.join(lab.dir, 'work', 'core.yml');
    const second = await json(['run', play, '-i', inv]);
    assert.is(second.code, 0, second.stderr);
    for (const h of HOSTS) assert.is(second.report.stats[h].changed, 0, `${h}: second run changes nothing`);
    const conf = await lab.exec('web2', 'cat /etc/jf-core.conf; cat /etc/jf-restarts');
    assert.is(conf.stdout, 'JVB_OPTS="--apis=rest,xmpp --subdomain=web2"\nJVB_HOST=\nA=1\nB=2\nrestarted\n');
    const once = await Promise.all(HOSTS.map((h) => lab.exec(h, 'cat /etc/jf-once 2>/dev/null || echo none')));
    assert.equal(once.map((o) => o.stdout.trim()), ['web1', 'none', 'none']);
    const peers = await lab.exec('web1', 'sort /etc/jf-peers');
    assert.is(peers.stdout, HOSTS.map((h) => `${h} ${lab.host(h).address} 4`).join('\n') + '\n');
    assert.is((await lab.exec('web2', 'test -e /etc/jf-peers; echo $?')).stdout.trim(), '1', 'delegated writes happen on web1 only');
    // facts + one read of every file + the `command` task; web1 also re-reads for the delegated edits after it.
    for (const h of ['web2', 'web3']) assert.is(second.report.commands[h], 3, `${h}: commands for a no-change run`);
    assert.ok(second.report.commands.web1 <= 6, `web1: ${second.report.commands.web1} commands`);
  });

  test('hosts connected while the playbook is read are the ones the run uses (one login per host); a play that changes the user connects anew as that user', async () => {
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const before = await logins();
    const res = await json(['run', path.join(lab.dir, 'work', 'core.yml'), '-i', inv]);
    assert.is(res.code, 0, res.raw + res.stderr);
    const after = await logins();
    assert.equal(after.map((n, i) => n - before[i]), [1, 1, 1], 'one SSH login per host');
    // The inventory says root; the play says deploy: the early root connection is not used.
    const play = await file('as-deploy.yml', `
- hosts: web
  gather_facts: false
  vars: { ansible_user: deploy }
  tasks:
    - command: id -un
      register: me
      changed_when: false
    - debug: { msg: "{{ me.stdout }}" }
`);
    const asDeploy = await json(['run', play, '-i', inv]);
    assert.is(asDeploy.code, 0, asDeploy.raw + asDeploy.stderr);
    for (const h of HOSTS) assert.is(asDeploy.report.plays[0].tasks[1].hosts[h].msg, 'deploy', `${h} ran as deploy`);
  });

  test('kept connections (JITSI_FLEET_PERSIST, as Ansible\'s ControlPersist): the next run logs in nowhere with the same results; a connection lost meanwhile is made anew; the keeper ends when idle', async () => {
    await lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    const runtime = path.join(lab.dir, 'runtime');
    await mkdir(runtime, { recursive: true, mode: 0o700 });
    const env = { JITSI_FLEET_PERSIST: '2', XDG_RUNTIME_DIR: runtime };
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const play = path.join(lab.dir, 'work', 'core.yml');
    const run = async (persist = env) => {
      const r = await fleetInLab(lab, ['run', play, '-i', inv, '--output', 'json'], { env: persist });
      assert.is(r.code, 0, r.stdout + r.stderr);
      return JSON.parse(r.stdout);
    };
    // What a run on its own connections reports for a no-change run.
    await run({ JITSI_FLEET_PERSIST: '0', XDG_RUNTIME_DIR: runtime });
    const direct = await run({ JITSI_FLEET_PERSIST: '0', XDG_RUNTIME_DIR: runtime });
    const counts = [await logins()];
    await run();
    counts.push(await logins());
    const second = await run();
    counts.push(await logins());
    assert.equal(counts[1].map((n, i) => n - counts[0][i]), [1, 1, 1], 'the first run logs in once per host');
    assert.equal(counts[2].map((n, i) => n - counts[1][i]), [0, 0, 0], 'the second run logs in nowhere');
    for (const h of HOSTS) assert.is(second.stats[h].changed, 0, `${h}: nothing to change`);
    assert.equal(second.commands, direct.commands, 'the same commands');
    for (const h of HOSTS) assert.equal(second.plays[0].tasks.map((t: any) => [t.hosts[h]?.status, t.hosts[h]?.msg]), direct.plays[0].tasks.map((t: any) => [t.hosts[h]?.status, t.hosts[h]?.msg]), `${h}: the same results`);
    const dir = path.join(runtime, 'jitsi-fleet-0');
    const pidFile = (await readdir(dir)).find((f) => f.endsWith('.pid'));
    assert.ok(pidFile, 'the keeper wrote its pid');
    const pid = Number(await readFile(path.join(dir, pidFile!), 'utf8'));
    // web2 drops the kept connection (its sshd session processes, by PID): the next run connects it anew, the others stay.
    const cut = await lab.exec('web2', `for p in $(ps -eo pid=,args= | awk '/sshd: root/ && !/awk/ {print $1}'); do kill $p; done`);
    assert.is(cut.code, 0, cut.stderr);
    await new Promise((r) => setTimeout(r, 300));
    const third = await run();
    counts.push(await logins());
    assert.equal(counts[3].map((n, i) => n - counts[2][i]), [0, 1, 0], 'only web2 logs in again');
    for (const h of HOSTS) assert.is(third.stats[h].changed, 0, `${h}: nothing to change`);
    // Idle for 2 s: the keeper ends, its socket and pid file go.
    const until = Date.now() + 8000;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.not.ok(alive(), 'the keeper ended');
    assert.equal(await readdir(dir), [], 'socket and pid file removed');
  });

  test('kept connections under load and in a terminal: two runs at once share them (both lines kept, no login); Ctrl-C in a terminal leaves them usable; a folder others can open keeps nothing', async () => {
    await lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    const runtime = path.join(lab.dir, 'runtime2');
    await mkdir(runtime, { recursive: true, mode: 0o700 });
    const env = { JITSI_FLEET_PERSIST: '30', XDG_RUNTIME_DIR: runtime };
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const add = (line: string) => `- hosts: web\n  gather_facts: false\n  tasks:\n    - lineinfile: { path: /etc/jf-kept, line: ${line}, create: true }\n`;
    const a = await file('kept-a.yml', add('from-a'));
    const b = await file('kept-b.yml', add('from-b'));
    const warm = await fleetInLab(lab, ['run', a, '-i', inv], { env });
    assert.is(warm.code, 0, warm.stdout + warm.stderr);
    const before = await logins();
    await Promise.all(HOSTS.map((h) => lab.exec(h, 'printf "# kept\\n" > /etc/jf-kept')));
    const [ra, rb] = await Promise.all([fleetInLab(lab, ['run', a, '-i', inv], { env }), fleetInLab(lab, ['run', b, '-i', inv], { env })]);
    assert.is(ra.code, 0, ra.stdout + ra.stderr);
    assert.is(rb.code, 0, rb.stdout + rb.stderr);
    for (const h of HOSTS) assert.is((await lab.exec(h, 'sort /etc/jf-kept')).stdout, '# kept\nfrom-a\nfrom-b\n', h);
    // Ctrl-C in a terminal while a command runs through the kept connections: the run stops as without them (130, the recap, no stack trace).
    const slow = await file('kept-slow.yml', '- hosts: web\n  gather_facts: false\n  tasks:\n    - command: sleep 2\n    - command: "true"\n');
    const tty = await inPty(['run', slow, '-i', inv], { prefix: lab.controllerPrefix(), env: { ...env, HOME: home, SSH_AUTH_SOCK: '' }, ctrlC: 800 });
    assert.is(tty.code, 130, tty.text);
    assert.match(tty.text, /RECAP\n/);
    assert.not.match(tty.text, STACK_TRACE);
    const again = await fleetInLab(lab, ['run', a, '-i', inv], { env });
    assert.is(again.code, 0, again.stdout + again.stderr);
    assert.equal((await logins()).map((n, i) => n - before[i]), [0, 0, 0], 'no login: the connections were kept through all of it');
    // A folder for the socket that others may open: nothing is kept there, each run logs in itself.
    const open = path.join(lab.dir, 'runtime3');
    await mkdir(path.join(open, 'jitsi-fleet-0'), { recursive: true });
    await chmod(path.join(open, 'jitsi-fleet-0'), 0o777);
    const n0 = await logins();
    for (let i = 0; i < 2; i++) {
      const r = await fleetInLab(lab, ['run', a, '-i', inv], { env: { ...env, XDG_RUNTIME_DIR: open } });
      assert.is(r.code, 0, r.stdout + r.stderr);
    }
    assert.equal((await logins()).map((n, i) => n - n0[i]), [2, 2, 2], 'each run logs in on its own');
    assert.equal(await readdir(path.join(open, 'jitsi-fleet-0')), [], 'no socket made there');
  });

  test('JITSI_FLEET_PERSIST that is no number of seconds is refused before the run, saying what it takes', async () => {
    const args = ['run', path.join(lab.dir, 'work', 'core.yml'), '-i', path.join(lab.dir, 'work', 'hosts.yml')];
    const r = await fleetInLab(lab, args, { env: { JITSI_FLEET_PERSIST: 'forever' } });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /JITSI_FLEET_PERSIST must be a number of seconds \(0 turns kept connections off\); got 'forever'/);
    const tty = await inPty(args, { prefix: lab.controllerPrefix(), env: { JITSI_FLEET_PERSIST: 'forever', HOME: home, SSH_AUTH_SOCK: '' } });
    assert.is(tty.code, 1, tty.text);
    assert.match(tty.text, /JITSI_FLEET_PERSIST must be a number of seconds/);
    assert.not.match(tty.text, STACK_TRACE);
  });

  test('check mode with diff shows the edits and leaves every file under /etc byte-identical', async () => {
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const changed = await file('changed.yml', CORE.replace(/--apis=rest,xmpp/g, '--apis=rest').replace('[A=1, B=2]', '[A=1, B=3]'));
    const before = await Promise.all(HOSTS.map(etcSums));
    const res = await fleetInLab(lab, ['check', changed, '-i', inv, '--detailed-exitcode']);
    assert.is(res.code, 3, res.stdout + res.stderr);
    assert.match(res.stdout, /-JVB_OPTS="--apis=rest,xmpp --subdomain=web1"\n\s*\+JVB_OPTS="--apis=rest --subdomain=web1"/);
    assert.match(res.stdout, /\+B=3/);
    const after = await Promise.all(HOSTS.map(etcSums));
    HOSTS.forEach((h, i) => assert.is(after[i], before[i], `${h}: /etc unchanged`));
  });

  test('a changed host key is refused; hashed known_hosts entries are read', async () => {
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const play = await file('stat.yml', '- hosts: web\n  gather_facts: false\n  tasks:\n    - stat: { path: /etc/hostname }\n');
    const other = ed25519KeyPair().public.split(' ').slice(0, 2).join(' ');
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = (name: string) => `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
    const lines = [
      `${lab.host('web1').address} ${other}`,
      `${hashed(lab.host('web2').address)} ${lab.host('web2').hostKey}`,
      `${lab.host('web3').address} ${lab.host('web3').hostKey}`,
    ];
    await writeFile(path.join(home, '.ssh', 'known_hosts'), lines.join('\n') + '\n');
    try {
    for (const mode of ['yes', 'accept-new', 'no']) {
      const res = await json(['run', play, '-i', inv, '--host-key-checking', mode]);
      if (mode === 'no') {
        assert.is(res.code, 0, 'explicitly off: connects');
        continue;
      }
      assert.is(res.code, 4, `${mode}: ${res.stderr}`);
      assert.match(res.report.unreachable.web1, /HOST KEY CHANGED/);
      assert.is(res.report.unreachable.web2, undefined, 'hashed entry matched');
      assert.is(res.report.stats.web2.failed, 0);
    }
    } finally {
      await lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    }
  });

  test('a stopped sshd: that host unreachable, the others finish, exit 4', async () => {
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const play = await file('touch.yml', '- hosts: web\n  gather_facts: false\n  tasks:\n    - copy: { dest: /etc/jf-touch, content: "x\\n" }\n');
    await lab.exec('web3', 'kill $(cat /run/sshd.pid)');
    try {
      const res = await json(['run', play, '-i', inv]);
      assert.is(res.code, 4);
      assert.match(res.report.unreachable.web3, /connection refused/);
      for (const h of ['web1', 'web2']) assert.is((await lab.exec(h, 'cat /etc/jf-touch')).stdout, 'x\n');
    } finally {
      await lab.exec('web3', '/usr/sbin/sshd');
    }
  });

  test('a wrong key: an authentication error naming the user and the key', async () => {
    const wrong = path.join(lab.dir, 'wrong_key');
    await writeFile(wrong, ed25519KeyPair().private, { mode: 0o600 });
    const inv = await file('wrong.yml', lab.inventory({ web: ['web1'] }, { web1: { ansible_ssh_private_key_file: wrong } }));
    const play = await file('noop.yml', '- hosts: web\n  gather_facts: false\n  tasks:\n    - stat: { path: /etc/hostname }\n');
    const res = await fleetInLab(lab, ['run', play, '-i', inv]);
    assert.is(res.code, 4);
    assert.ok(res.stdout.includes(`authentication failed for root@${lab.host('web1').address} (tried: key ${wrong})`), res.stdout);
  });

  test('become through sudo with a password, as a non-root user; the password appears nowhere', async () => {
    const inv = await file(
      'deploy.yml',
      lab.inventory({ web: ['web1', 'web2'] }, Object.fromEntries(['web1', 'web2'].map((h) => [h, { ansible_user: 'deploy', ansible_become_password: DEPLOY_PASSWORD }]))),
    );
    const play = await file('become.yml', `
- hosts: web
  gather_facts: false
  tasks:
    - name: as root
      become: true
      copy: { dest: /etc/jf-become, content: "root wrote this\\n", mode: "0600" }
    - name: who
      become: true
      command: id -un
      register: who
    - name: as deploy
      command: id -un
      register: me
    - name: show
      debug: { msg: "{{ who.stdout }} {{ me.stdout }}" }
`);
    const res = await json(['run', play, '-i', inv, '--diff']);
    assert.is(res.code, 0, res.raw + res.stderr);
    const show = res.report.plays[0].tasks.find((t: any) => t.name === 'show');
    assert.is(show.hosts.web1.msg, 'root deploy');
    assert.is((await lab.exec('web1', 'stat -c "%U %a" /etc/jf-become')).stdout.trim(), 'root 600');
    const plain = await fleetInLab(lab, ['run', play, '-i', inv, '--diff', '--output', 'plain']);
    assert.is(plain.code, 0);
    for (const text of [res.raw, res.stderr, plain.stdout, plain.stderr]) assert.not.ok(text.includes(DEPLOY_PASSWORD), 'password never shown');
    const bad = await file('badpw.yml', lab.inventory({ web: ['web1'] }, { web1: { ansible_user: 'deploy', ansible_become_password: 'Wrong-Pass-5521' } }));
    const failed = await fleetInLab(lab, ['run', play, '-i', bad, '--output', 'plain']);
    assert.is(failed.code, 2);
    assert.match(failed.stdout, /become to root failed/);
    assert.not.ok(failed.stdout.includes('Wrong-Pass-5521'));
  });

  test("Ansible's action plugins and Python modules over SSH as deploy with sudo: unarchive, fetch, a project's action plugin under until, community.general.ini_file; the same hosts' state and changes as ansible-playbook's", async () => {
    await lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    const dir = path.join(lab.dir, 'work', 'actions');
    await mkdir(path.join(dir, 'bundle', 'conf'), { recursive: true });
    await mkdir(path.join(dir, 'action_plugins'), { recursive: true });
    await writeFile(path.join(dir, 'bundle', 'conf', 'jvb.conf'), 'videobridge { }\n');
    await writeFile(path.join(dir, 'bundle', 'README'), 'read me\n');
    const tar = await inLab(lab, 'tar', ['-czf', path.join(dir, 'bundle.tgz'), '-C', dir, 'bundle']);
    assert.is(tar.code, 0, tar.stderr);
    await copyFile(path.join(ROOT, 'test', 'fixtures', 'action-plugin', 'count_down.py'), path.join(dir, 'action_plugins', 'count_down.py'));
    const play = path.join(dir, 'actions.yml');
    await writeFile(play, `
- hosts: web
  gather_facts: false
  become: true
  tasks:
    - file: { path: /opt/jf-unarchive, state: directory, mode: "0755" }
    - name: unpack
      unarchive: { src: bundle.tgz, dest: /opt/jf-unarchive, mode: "u=rwX,go=rX" }
      register: unpacked
      ignore_errors: "{{ ansible_check_mode }}"
    - name: fetch
      fetch: { src: /etc/hostname, dest: "{{ playbook_dir }}/fetched-{{ tool }}/" }
    - copy: { dest: /var/tmp/jf-counter, content: "2", force: false }
    - name: count down
      count_down: { cmd: 'N=$(cat /var/tmp/jf-counter); [ "$N" -gt 0 ] && echo $((N-1)) > /var/tmp/jf-counter; exit $N' }
      register: counted
      until: counted.rc == 0
      retries: 3
      delay: 0
      changed_when: false
      when: not ansible_check_mode
    - name: ini
      community.general.ini_file: { path: /etc/jf.ini, section: bridge, option: port, value: "10000" }
    - name: show
      debug: { msg: "{{ unpacked.changed }} {{ counted.attempts }} {{ counted.rc }}" }
`);
    const inv = path.join(dir, 'hosts.yml');
    await writeFile(inv, lab.inventory({ web: ['web1', 'web2', 'web3'] }, Object.fromEntries(HOSTS.map((h) => [h, { ansible_user: 'deploy', ansible_become_password: DEPLOY_PASSWORD }]))));
    await writeFile(path.join(dir, 'ansible.cfg'), '[defaults]\nhost_key_checking = False\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\n');
    const ansible = (args: string[]) => inLab(lab, 'ansible-playbook', ['-i', inv, play, '-e', 'tool=ansible', ...args], { cwd: dir, env: { ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' } });
    const state = async (h: string) => (await lab.exec(h, 'find /opt/jf-unarchive -printf "%p %y %m %u %g %s\\n" | sort; cat /etc/jf.ini; stat -c "%U %a" /etc/jf.ini; cat /var/tmp/jf-counter')).stdout;
    const before = await etcSums('web3');

    // Check mode first, on web3: nothing changes.
    const check = await json(['run', play, '-i', inv, '-l', 'web3', '-e', 'tool=fleet', '--check', '--diff']);
    assert.ok(check.report, check.raw + check.stderr);
    assert.is(await etcSums('web3'), before, 'check mode leaves /etc as it was');
    assert.is((await lab.exec('web3', 'test -e /opt/jf-unarchive; echo $?')).stdout.trim(), '1');
    const ansibleCheck = await ansible(['-l', 'web3', '--check']);
    assert.is(await etcSums('web3'), before);
    const shown = [...ansibleCheck.stdout.matchAll(/^(ok|changed|skipping|fatal|failed): \[web3\]/gm)].map((m) => ({ fatal: 'failed', skipping: 'skipped' })[m[1]] ?? m[1]);
    assert.equal(check.report.plays[0].tasks.map((t: any) => t.hosts.web3.status), shown, ansibleCheck.stdout.slice(-3000));

    // jitsi-fleet on web1, ansible-playbook on web2: the same state, the same changes; then neither changes anything.
    const fleet = await json(['run', play, '-i', inv, '-l', 'web1', '-e', 'tool=fleet']);
    assert.is(fleet.code, 0, fleet.raw + fleet.stderr);
    const a = await ansible(['-l', 'web2']);
    assert.is(a.code, 0, a.stdout.slice(-3000) + a.stderr.slice(-2000));
    assert.is(await state('web1'), await state('web2'));
    assert.match(await state('web1'), /\/opt\/jf-unarchive\/bundle\/conf\/jvb\.conf f 644 root root 16\n[^]*\[bridge\]\nport = 10000\n[^]*root 644\n0\n$/);
    const show = (r: any, h: string) => r.plays[0].tasks.find((t: any) => t.name === 'show').hosts[h].msg;
    assert.is(show(fleet.report, 'web1'), 'True 3 0', 'unarchive changed; the counter reached 0 on the third run');
    assert.match(a.stdout, /"msg": "True 3 0"/);
    assert.is(await readFile(path.join(dir, 'fetched-fleet', 'web1', 'etc', 'hostname'), 'utf8'), await readFile(path.join(dir, 'fetched-ansible', 'web2', 'etc', 'hostname'), 'utf8').then((t) => t.replace('web2', 'web1')));
    const statuses = (r: any, h: string) => r.plays[0].tasks.map((t: any) => `${t.name}:${t.hosts[h].status}`);
    const again = await json(['run', play, '-i', inv, '-l', 'web1', '-e', 'tool=fleet']);
    assert.is(again.code, 0, again.raw + again.stderr);
    assert.is(again.report.stats.web1.changed, 0, statuses(again.report, 'web1').join(', '));
    const a2 = await ansible(['-l', 'web2']);
    assert.match(a2.stdout, /web2 +: ok=7 +changed=0 /);
    for (const text of [check.raw, check.stderr, fleet.raw, fleet.stderr, again.raw]) assert.not.ok(text.includes(DEPLOY_PASSWORD), 'password never shown');
  });

  test('ssh_config with ProxyJump, password login, and the ssh-agent', async () => {
    const play = await file('stat2.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - stat: { path: /etc/hostname }\n');
    // ssh_config: aliases, User, IdentityFile, ProxyJump through web1 to web2.
    const cfg = await file('ssh_config', [
      'Host jump', `  HostName ${lab.host('web1').address}`, '  User root', `  IdentityFile ${lab.keyFile}`,
      'Host behind', `  HostName ${lab.host('web2').address}`, '  User root', `  IdentityFile ${lab.keyFile}`, '  ProxyJump jump', '',
    ].join('\n'));
    const inv = await file('alias.yml', 'all:\n  hosts:\n    behind:\n');
    const jumped = await fleetInLab(lab, ['run', play, '-i', inv, '-F', cfg]);
    assert.is(jumped.code, 0, jumped.stdout + jumped.stderr);
    const log = (await lab.exec('web2', 'tail -n 3 /var/log/sshd.log')).stdout;
    assert.match(log, new RegExp(`Accepted publickey for root from ${lab.host('web1').address.replace(/\./g, '\\.')}`), 'web2 saw the jump host, not the controller');
    // Password login (no key anywhere), the password shown nowhere.
    const pw = await file('pw.yml', `all:\n  hosts:\n    web3: { ansible_host: ${lab.host('web3').address}, ansible_user: deploy, ansible_password: ${DEPLOY_PASSWORD} }\n`);
    const byPassword = await fleetInLab(lab, ['run', play, '-i', pw, '--output', 'json']);
    assert.is(byPassword.code, 0, byPassword.stdout + byPassword.stderr);
    assert.not.ok((byPassword.stdout + byPassword.stderr).includes(DEPLOY_PASSWORD));
    // The agent: the key is loaded into ssh-agent, the inventory names no key.
    const sock = path.join(lab.dir, 'agent.sock');
    const agent = await lab.spawnController('ssh-agent', ['-D', '-a', sock]);
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const add = await inLab(lab, 'ssh-add', [lab.keyFile], { env: { SSH_AUTH_SOCK: sock } });
      assert.is(add.code, 0, add.stderr);
      const agentInv = await file('agent.yml', `all:\n  hosts:\n    web1: { ansible_host: ${lab.host('web1').address}, ansible_user: root }\n`);
      const viaAgent = await fleetInLab(lab, ['run', play, '-i', agentInv], { env: { SSH_AUTH_SOCK: sock } });
      assert.is(viaAgent.code, 0, viaAgent.stdout + viaAgent.stderr);
      const noAgent = await fleetInLab(lab, ['run', play, '-i', agentInv]);
      assert.is(noAgent.code, 4, 'without the agent there is no key to try');
      assert.match(noAgent.stdout, /authentication failed for root@.* \(tried: nothing/);
    } finally {
      agent.kill();
    }
  });

  test('a connection cut during the write of a large file leaves the old file or the new one', async () => {
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const big = 'new-content-line-0123456789abcdef\n'.repeat(1_200_000); // ~40 MB
    await mkdir(path.join(lab.dir, 'work', 'files'), { recursive: true });
    await writeFile(path.join(lab.dir, 'work', 'files', 'big.txt'), big);
    const old = 'old content\n';
    await lab.exec('web1', `printf 'old content\\n' > /var/tmp/jf-big && chmod 640 /var/tmp/jf-big`);
    const play = await file('big.yml', '- hosts: web1\n  gather_facts: false\n  tasks:\n    - copy: { src: big.txt, dest: /var/tmp/jf-big }\n');
    // A watcher inside the host cuts the SSH session the moment the temp file appears.
    await lab.exec(
      'web1',
      `nohup sh -c 'i=0; while [ $i -lt 200000 ]; do if ls /var/tmp/.jitsi-fleet.* >/dev/null 2>&1; then sleep 0.05; for p in $(ps -eo pid,args | awk "/sshd: root@notty/ && !/awk/ {print \\$1}"); do kill -9 $p; done; touch /var/tmp/jf-cut; exit 0; fi; i=$((i+1)); done' >/dev/null 2>&1 &`,
    );
    const run = fleetInLab(lab, ['run', play, '-i', inv]);
    const res = await run;
    assert.is((await lab.exec('web1', 'test -e /var/tmp/jf-cut && echo cut')).stdout.trim(), 'cut', 'the cut happened during the write');
    assert.is(res.code, 4, res.stdout + res.stderr);
    const sum = (await lab.exec('web1', 'sha256sum < /var/tmp/jf-big')).stdout.split(' ')[0];
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    assert.ok(sum === sha(old) || sum === sha(big), 'old or new, never half');
    // The host's side ends on its own: a write whose bytes had all arrived (write-behind sends them
    // in the script itself) still finishes and renames; one cut in transfer never starts or removes its temp file.
    let left = '';
    for (let i = 0; i < 60 && left !== '0'; i++) {
      await new Promise((r) => setTimeout(r, 300));
      left = (await lab.exec('web1', 'ls -a /var/tmp | grep -c jitsi-fleet || true')).stdout.trim();
    }
    assert.is(left, '0', 'no temp file left behind');
    const final = (await lab.exec('web1', 'sha256sum < /var/tmp/jf-big')).stdout.split(' ')[0];
    assert.ok(final === sha(old) || final === sha(big), 'old or new, never half (after the host side ended)');
  });

  test('hosts that accept TCP but are no SSH server (silent, closing, garbage): exit 4, every other host finishes every play', async () => {
    const script = await file('listeners.mjs', `
import net from 'node:net';
const kinds = { 2201: 'silent', 2202: 'close', 2203: 'garbage' };
for (const [port, kind] of Object.entries(kinds)) {
  net.createServer((s) => {
    s.on('error', () => {});
    if (kind === 'close') s.destroy();
    else if (kind === 'garbage') s.write('HTTP/1.1 400 Bad Request\\r\\n\\r\\nnot ssh\\r\\n');
  }).listen(Number(port), '${CONTROLLER_ADDRESS}');
}
setTimeout(() => process.exit(0), 120000);
`);
    const listeners = await lab.spawnController(process.execPath, [script]);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const odd = { ansible_host: CONTROLLER_ADDRESS, ansible_user: 'root' };
      const inv = await file('odd.yml', `all:
  children:
    web:
      hosts:
${['web1', 'web2'].map((h) => `        ${h}: { ansible_host: ${lab.host(h).address}, ansible_user: root, ansible_ssh_private_key_file: ${lab.keyFile} }`).join('\n')}
        silent: ${JSON.stringify({ ...odd, ansible_port: 2201 })}
        closer: ${JSON.stringify({ ...odd, ansible_port: 2202 })}
        garbage: ${JSON.stringify({ ...odd, ansible_port: 2203 })}
`);
      const play = await file('two-plays.yml', `
- hosts: web
  gather_facts: false
  tasks:
    - copy: { dest: /etc/jf-odd-1, content: "1\\n" }
- hosts: web
  gather_facts: false
  tasks:
    - copy: { dest: /etc/jf-odd-2, content: "2\\n" }
`);
      const res = await json(['run', play, '-i', inv, '--timeout', '3']);
      assert.is(res.code, 4, res.raw + res.stderr);
      assert.match(res.report.unreachable.silent, /no SSH answer from root@198\.51\.100\.1:2201 within 3s/);
      assert.match(res.report.unreachable.closer, /closed the connection before the SSH handshake/);
      assert.ok(res.report.unreachable.garbage, 'garbage: unreachable');
      assert.not.match(res.stderr, /Connection lost before handshake|\n\s+at /);
      for (const h of ['web1', 'web2']) assert.is((await lab.exec(h, 'cat /etc/jf-odd-1 /etc/jf-odd-2')).stdout, '1\n2\n', `${h} finished both plays`);
      await Promise.all(['web1', 'web2'].map((h) => lab.exec(h, 'rm -f /etc/jf-odd-1 /etc/jf-odd-2')));
      const tty = await inPty(['run', play, '-i', inv, '--timeout', '3'], { prefix: lab.controllerPrefix(), env: { HOME: home, SSH_AUTH_SOCK: '' } });
      assert.is(tty.code, 4, tty.text);
      assert.match(tty.text, /RECAP\n/);
      assert.match(tty.text, /web2 +: ok=2 changed=2 unreachable=0 failed=0/);
      assert.not.match(tty.text, STACK_TRACE);
    } finally {
      listeners.kill();
    }
  });

  test('two runs at once over SSH, each adding a line to one file on each host: both lines kept (run lock)', async () => {
    const inv = path.join(lab.dir, 'work', 'hosts.yml');
    const add = (line: string) => `- hosts: web\n  gather_facts: false\n  tasks:\n    - lineinfile: { path: /etc/jf-shared, line: ${line}, create: true }\n`;
    const a = await file('add-a.yml', add('from-a'));
    const b = await file('add-b.yml', add('from-b'));
    for (let i = 0; i < 3; i++) {
      await Promise.all(HOSTS.map((h) => lab.exec(h, 'printf "# shared\\n" > /etc/jf-shared')));
      const [ra, rb] = await Promise.all([fleetInLab(lab, ['run', a, '-i', inv]), fleetInLab(lab, ['run', b, '-i', inv])]);
      assert.is(ra.code, 0, ra.stdout + ra.stderr);
      assert.is(rb.code, 0, rb.stdout + rb.stderr);
      for (const h of HOSTS) assert.is((await lab.exec(h, 'sort /etc/jf-shared')).stdout, '# shared\nfrom-a\nfrom-b\n', `${h}, try ${i}`);
    }
  });

  test('remote_user as ansible-playbook has it: the play\'s, a block\'s and a task\'s; ansible_user wins; files edited in turn by two users', async () => {
    await lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    // No ansible_user in this inventory: the keywords decide (web1 for ansible-playbook, web2 for jitsi-fleet).
    const inv = await file('ru-hosts.yml', lab.inventory({ web: ['web1', 'web2'] }, { web1: { ansible_user: undefined }, web2: { ansible_user: undefined } }));
    const play = await file('ru.yml', `
- hosts: web
  gather_facts: false
  remote_user: deploy
  tasks:
    - { name: play user, command: id -un, register: a, changed_when: false }
    - { name: task user, command: id -un, register: b, changed_when: false, remote_user: root }
    - name: as deploy, a line
      lineinfile: { path: /tmp/jf-ru.txt, line: "one", create: true }
    - block:
        - name: as root, after it
          lineinfile: { path: /tmp/jf-ru.txt, line: "two" }
        - { name: block user, command: id -un, register: c, changed_when: false }
        - name: a root file
          copy: { dest: /etc/jf-ru-root, content: "root\\n" }
      remote_user: root
    - name: as deploy again, a third line
      lineinfile: { path: /tmp/jf-ru.txt, line: "three" }
    - { name: read, command: "stat -c '%U' /tmp/jf-ru.txt /etc/jf-ru-root", register: d, changed_when: false }
    - { name: file, command: cat /tmp/jf-ru.txt, register: e, changed_when: false }
    - name: show
      debug: { msg: "{{ a.stdout }} {{ b.stdout }} {{ c.stdout }} {{ d.stdout_lines | join(',') }} {{ e.stdout_lines | join(',') }}" }
- hosts: web
  gather_facts: false
  remote_user: deploy
  vars: { ansible_user: root }
  tasks:
    - { name: variable wins, command: id -un, register: f, changed_when: false, remote_user: deploy }
    - name: show2
      debug: { msg: "{{ f.stdout }}" }
`);
    await Promise.all(['web1', 'web2'].map((h) => lab.exec(h, 'rm -f /tmp/jf-ru.txt /etc/jf-ru-root')));
    const env = { ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' };
    const [a, f] = await Promise.all([
      inLab(lab, 'ansible-playbook', ['-i', inv, '--limit', 'web1', play], { env }),
      json(['run', play, '-i', inv, '--limit', 'web2']),
    ]);
    assert.is(a.code, 0, a.stdout.slice(-2000) + a.stderr);
    assert.is(f.code, 0, f.raw.slice(-2000) + f.stderr);
    const shown = (report: any, host: string) => report.plays.map((p: any) => p.tasks.find((t: any) => /^show/.test(t.task?.name ?? t.name)).hosts[host].msg);
    const expected = ['deploy root root deploy,root one,two,three', 'root'];
    assert.equal(shown(JSON.parse(a.stdout), 'web1'), expected, 'ansible-playbook');
    assert.equal(shown(f.report, 'web2'), expected, 'jitsi-fleet');
    const again = await json(['run', play, '-i', inv, '--limit', 'web2']);
    assert.is(again.report.stats.web2.changed, 0, 'second run: nothing to change');
    // ansible.cfg's remote_user: below the keyword and every variable.
    const cfg = await file('ru-cfg/ansible.cfg', '[defaults]\nremote_user = deploy\nhost_key_checking = False\n');
    const who = await file('ru-cfg/who.yml', '- hosts: web\n  gather_facts: false\n  tasks:\n    - { command: id -un, register: w, changed_when: false }\n    - { name: show, debug: { msg: "{{ w.stdout }} {{ ansible_user }}" } }\n');
    const cfgEnv = { ...env, ANSIBLE_CONFIG: cfg };
    const [a2, f2] = await Promise.all([
      inLab(lab, 'ansible-playbook', ['-i', inv, '--limit', 'web1', who], { env: cfgEnv }),
      fleetInLab(lab, ['run', who, '-i', inv, '--limit', 'web2', '--output', 'json'], { env: { ANSIBLE_CONFIG: cfg } }),
    ]);
    assert.is(a2.code, 0, a2.stdout.slice(-2000) + a2.stderr);
    assert.is(f2.code, 0, f2.stdout.slice(-2000) + f2.stderr);
    assert.equal(shown(JSON.parse(f2.stdout), 'web2'), shown(JSON.parse(a2.stdout), 'web1'));
    assert.equal(shown(JSON.parse(f2.stdout), 'web2'), ['deploy deploy']);
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
