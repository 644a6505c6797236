/**
 * Running a fleet day to day (issue 9), on one current-generation lab: a
 * main server and three bridges added by add-bridge.yml, then
 * `jitsi-fleet status` against what the jicofo stand-in records.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';
import { fleetInLab, labHome } from '../helpers/lab-cli.ts';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { inPty, STACK_TRACE } from '../helpers/pty.ts';
import { JitsiLab } from './jitsi.ts';

const skip = await labOrSkip();
const ADD = path.join(ROOT, 'playbooks', 'add-bridge.yml');
const UPGRADE = path.join(ROOT, 'playbooks', 'upgrade-bridges.yml');
const KEY = (nick: string) => `jvbbrewery@internal.auth.meet.example.com/${nick}`;
let j: JitsiLab;
let inv = '';
let mainNick = '';

type Status = { hosts: { name: string; reachable: boolean; role: string; jicofo?: { rest: { state: string } }; packages: Record<string, string>; services: Record<string, string>; bridge?: { state: string; ok: boolean; stats?: { participants: number }; seenBy: { main: string; bridge?: { operational: boolean; nickname: string } }[] } }[]; unlisted: { nickname: string }[]; problems: string[]; ok: boolean; exit_code: number };

async function status(args: string[] = []): Promise<{ code: number; json: Status; stdout: string }> {
  const r = await fleetInLab(j.lab, ['status', '-i', inv, '--output', 'json', ...args]);
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as Status, stdout: r.stdout };
  } catch {
    throw new Error(`status printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

if (!skip) {
  setup(test, async () => {
    j = await JitsiLab.start('meet', ['jvb2', 'jvb3', 'jvb4'], { generation: 'current' });
    await j.workspace();
    inv = path.join(j.lab.dir, 'work', 'hosts.yml');
    await writeFile(inv, j.inventory({ jvb2: undefined, jvb3: undefined, jvb4: undefined }, { jitsi_bridge_accounts: 'per-bridge' }));
    mainNick = JSON.parse((await j.lab.exec('meet', 'hocon -j -i /etc/jitsi/videobridge/jvb.conf get videobridge.apis.xmpp-client.configs.shard.MUC_NICKNAME')).stdout);
    const r = await fleetInLab(j.lab, ['run', ADD, '-i', inv, '--output', 'plain']);
    if (r.code !== 0) throw new Error(`add-bridge.yml failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    await j.waitForJicofo((b) => Object.values(b).filter((x) => x.operational).length === 4, 'four operational bridges');
  });

  test.after(async () => {
    await j?.stop();
  });

  test('status after add-bridge: every bridge seen and operational, as the jicofo stand-in records them; table and JSON agree', async () => {
    const debug = await j.jicofoDebug();
    const { code, json } = await status();
    assert.is(code, 0, JSON.stringify(json.problems));
    assert.ok(json.ok);
    const byName = Object.fromEntries(json.hosts.map((h) => [h.name, h]));
    assert.is(byName.meet.role, 'main');
    assert.match(byName.meet.packages.jicofo, /^1\.0-1100-1$/);
    for (const b of ['jvb2', 'jvb3', 'jvb4']) {
      const h = byName[b];
      assert.is(h.role, 'bridge');
      assert.is(h.bridge!.state, 'operational', b);
      const key = `jvbbrewery@internal.auth.meet.example.com/${b}`;
      assert.ok(debug[key]?.operational, `${key} operational in jicofo's /debug`);
      assert.is(h.bridge!.seenBy[0].bridge!.nickname, b);
      assert.is(h.bridge!.stats!.participants, 0, 'participants from the bridge REST');
    }
    assert.equal(json.unlisted, [], "the main server's own bridge is accounted for");
    assert.equal((byName.meet.bridge as unknown as { rest: unknown }).rest, { state: 'off', setting: 'videobridge.apis.rest.enabled = true in jvb.conf' }, "the main server's own bridge: REST off as packaged, said with its setting");
    assert.is(byName.meet.bridge!.seenBy[0].bridge!.nickname, mainNick);
    const plain = await fleetInLab(j.lab, ['status', '-i', inv, '--output', 'plain']);
    assert.is(plain.code, 0);
    for (const b of ['jvb2', 'jvb3', 'jvb4']) assert.match(plain.stdout, new RegExp(`^${b}: bridge; brewery; jvb2 2\\.3-160-g97a1f15a-1; jvb2 up; bridge operational; participants 0`, 'm'));
    assert.match(plain.stdout, /^meet: main server; brewery; .*jicofo sees 4 bridges \(4 operational\)/m);
    assert.match(plain.stdout, /all 4 bridges seen and operational/);
  });

  test('one bridge stopped by hand: status shows it and exits 5; a bridge the inventory forgets is shown', async () => {
    await j.lab.exec('jvb3', 'service jitsi-videobridge2 stop');
    await j.waitForJicofo((b) => !('jvbbrewery@internal.auth.meet.example.com/jvb3' in b), 'jvb3 gone');
    const { code, json } = await status();
    assert.is(code, 5);
    const jvb3 = json.hosts.find((h) => h.name === 'jvb3')!;
    assert.is(jvb3.bridge!.state, 'stopped');
    assert.is(jvb3.services['jitsi-videobridge2'], 'inactive');
    assert.match(json.problems.join('\n'), /jvb3: its service is not running/);
    await j.lab.exec('jvb3', 'service jitsi-videobridge2 start');
    await j.waitForJicofo((b) => Boolean(b['jvbbrewery@internal.auth.meet.example.com/jvb3']?.operational), 'jvb3 back');
    const forgot = inv + '.forgot.yml';
    await writeFile(forgot, j.inventory({ jvb2: undefined, jvb3: undefined }, { jitsi_bridge_accounts: 'per-bridge' }));
    const r = await fleetInLab(j.lab, ['status', '-i', forgot, '--output', 'json']);
    const doc = JSON.parse(r.stdout) as Status;
    assert.equal(doc.unlisted.map((u) => u.nickname), ['jvb4']);
    assert.is(r.code, 0, 'every bridge of the inventory is fine');
  });

  test('in a terminal: the table with colour for problems; --watch refreshes until Ctrl-C; an unreachable host and a stopped jicofo are reported, the rest still shows', async () => {
    const home = await labHome(j.lab);
    const env = { HOME: home, SSH_AUTH_SOCK: '' };
    await j.lab.exec('jvb4', 'service jitsi-videobridge2 stop');
    await j.waitForJicofo((b) => !(KEY('jvb4') in b), 'jvb4 gone');
    const tty = await inPty(['status', '-i', inv], { prefix: j.lab.controllerPrefix(), env });
    assert.is(tty.code, 5, tty.text);
    assert.match(tty.text, /HOST +ROLE +GEN +PACKAGES +SERVICES +JICOFO +BRIDGE +PARTIC\. +STRESS/);
    assert.match(tty.screen, /\x1b\[31mstopped/, 'a stopped bridge in red');
    assert.match(tty.text, /problem: jvb4: its service is not running\n/);
    const watch = await inPty(['status', '-i', inv, '--watch', '--interval', '1'], { prefix: j.lab.controllerPrefix(), env, ctrlC: 3500 });
    assert.is(watch.code, 130, watch.text);
    assert.ok((watch.text.match(/jitsi-fleet status · 4 hosts/g) ?? []).length >= 2, `refreshed at least twice:\n${watch.text}`);
    assert.match(watch.text, /refreshing every 1 s; Ctrl-C ends/);
    assert.not.match(watch.text, STACK_TRACE);
    await j.lab.exec('jvb4', 'service jitsi-videobridge2 start');
    // A host that does not answer, and jicofo stopped on the main server.
    const broken = inv + '.broken.yml';
    await writeFile(broken, j.inventory({ jvb2: undefined, jvb3: undefined, jvb4: undefined }).replace(/(\n(\s+)jvb4:\n(\s+)ansible_host: )[0-9.]+/, '$1198.51.100.250'));
    await j.lab.exec('meet', 'service jicofo stop');
    try {
      for (const args of [['--output', 'json'], []]) {
        const r = args.length ? await fleetInLab(j.lab, ['status', '-i', broken, '--timeout', '2', ...args]) : await inPty(['status', '-i', broken, '--timeout', '2'], { prefix: j.lab.controllerPrefix(), env });
        const out = 'text' in r ? r.text : r.stdout;
        assert.is(r.code, 4, out);
        assert.not.match(out, STACK_TRACE);
        if (args.length) {
          const doc = JSON.parse(out) as Status;
          assert.is(doc.hosts.find((h) => h.name === 'jvb4')!.reachable, false);
          assert.is(doc.hosts.find((h) => h.name === 'meet')!.jicofo!.rest.state, 'down');
          assert.ok(doc.hosts.find((h) => h.name === 'jvb2')!.reachable, 'the other hosts still reported');
          assert.match(doc.problems.join('\n'), /jvb4: unreachable/);
          assert.match(doc.problems.join('\n'), /jvb2: jicofo's REST did not answer \(connection refused\)/);
        } else {
          assert.match(out, /jvb4 +bridge +unreachable: /);
          assert.match(out, /REST down: connection refused/);
        }
      }
    } finally {
      await j.lab.exec('meet', 'service jicofo start');
    }
    await j.waitForJicofo((b) => ['jvb2', 'jvb3', 'jvb4'].every((n) => b[KEY(n)]?.operational), 'all back after jicofo restarted');
  });
  test('removing a bridge with 3 participants: graceful shutdown, the run waits until they leave, then it stops; its account is gone; nothing else restarts; re-adding works', async () => {
    const pids = async () => Object.fromEntries(await Promise.all(['meet', 'jvb2', 'jvb4'].map(async (h) => [h, (await j.lab.exec(h, 'cat /run/jitsi-videobridge2/jvb.pid /run/jicofo/jicofo.pid 2>/dev/null')).stdout.trim()])));
    const before = await pids();
    await j.setParticipants('jvb3', 3);
    const password = (await j.lab.exec('meet', 'cat /etc/jitsi/jitsi-fleet/jvb3.password')).stdout.trim();
    assert.ok(password.length >= 16, 'per-bridge password made by add-bridge');
    const removeInv = inv + '.remove.yml';
    const bridges = { jvb2: undefined, jvb3: undefined, jvb4: undefined };
    const withState = (text: string) => text.replace(/(\n\s+jvb3:\n(\s+))/, '$1jvb_state: absent\n$2jvb_drain_poll: 1\n$2');
    await writeFile(removeInv, withState(j.inventory(bridges, { jitsi_bridge_accounts: 'per-bridge' })));
    assert.match(await (await import('node:fs/promises')).readFile(removeInv, 'utf8'), /jvb_state: absent/);

    const check = await fleetInLab(j.lab, ['check', ADD, '-i', removeInv, '--output', 'plain']);
    assert.is(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /would wait for 3 participants to leave \(up to 3600 s\), then stop and disable jitsi-videobridge2/);
    assert.match(check.stdout, /changed: \[jvb3\] Removal: stop and disable jitsi-videobridge2/);
    assert.match(check.stdout, /changed: \[meet\] Removed bridges: 5222\/tcp closed to them/);
    assert.ok((await j.jicofoDebug())['jvbbrewery@internal.auth.meet.example.com/jvb3']?.operational, 'check mode changed nothing');

    let out = '';
    const running = fleetInLab(j.lab, ['run', ADD, '-i', removeInv, '--output', 'plain'], { onStdout: (c) => (out += c) });
    await j.waitForJicofo((b) => b['jvbbrewery@internal.auth.meet.example.com/jvb3']?.['graceful-shutdown'] === true, 'jvb3 in graceful shutdown');
    const deadline = Date.now() + 30_000;
    while (!/FAILED - RETRYING: \[jvb3\] Removal: wait until its participants have left .*participants=3/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.match(out, /FAILED - RETRYING: \[jvb3\] Removal: wait until its participants have left \(up to 3600 s\) \(\d+ retries left, every 1 s\) - .*jf_jvb_drain\.json\.participants=3/, `progress shown while it waits:\n${out.split('\n').filter((l) => l.includes('RETRYING')).join('\n')}`);
    assert.ok((await j.jicofoDebug())['jvbbrewery@internal.auth.meet.example.com/jvb3'], 'still in the brewery while participants are there');
    await j.setParticipants('jvb3', 0);
    const r = await running;
    assert.is(r.code, 0, r.stdout + r.stderr);
    await j.waitForJicofo((b) => !('jvbbrewery@internal.auth.meet.example.com/jvb3' in b), 'jvb3 gone from the brewery');
    assert.is((await j.lab.exec('jvb3', 'service jitsi-videobridge2 status')).code === 0, false, 'jvb3 stopped');
    assert.is((await j.lab.exec('jvb3', 'ls /etc/rc2.d/S*jitsi-videobridge2')).code === 0, false, 'and disabled');
    assert.equal(await pids(), before, 'no restart on the main server or the other bridges');
    assert.not.match((await j.lab.exec('meet', 'ufw status')).stdout, new RegExp(`5222/tcp +ALLOW +${j.lab.host('jvb3').address.replace(/\./g, '\\.')}\\b`), 'its firewall rule is gone');
    const login = await j.lab.exec('meet', `python3 -c "import sys; sys.path.insert(0, '/usr/share/jicofo'); from xmpp_client import Client; Client('localhost', 5222, 'auth.meet.example.com', 'jvb-jvb3', sys.argv[1], verify_certificate=False)" '${password}'`);
    assert.match(login.stderr, /not-authorized/, `its account can no longer log in: ${login.stderr}`);
    const st = await status(['-i', removeInv]);
    assert.is(st.code, 0, JSON.stringify(st.json.problems));
    assert.is(st.json.hosts.find((h) => h.name === 'jvb3')!.bridge!.state, 'removed');

    const again = await fleetInLab(j.lab, ['run', ADD, '-i', removeInv, '--output', 'json']);
    assert.is(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout);
    for (const h of ['meet', 'jvb2', 'jvb3', 'jvb4']) assert.is(report.stats[h].changed, 0, `a second removal run changes nothing on ${h}`);

    const back = await fleetInLab(j.lab, ['run', ADD, '-i', inv, '--output', 'plain']);
    assert.is(back.code, 0, back.stdout + back.stderr);
    await j.waitForJicofo((b) => Boolean(b['jvbbrewery@internal.auth.meet.example.com/jvb3']?.operational), 'jvb3 back in');
    assert.is((await status()).code, 0);
  });
  test('rolling upgrade over 3 bridges: at every moment at least 2 operational in jicofo\'s view; all end on the new version; a second run changes nothing', async () => {
    await j.setParticipants('jvb2', 2);
    await j.publish('2.3-170-1');
    let stop = false;
    let minOperational = Infinity;
    let samples = 0;
    const sampler = (async () => {
      while (!stop) {
        try {
          const b = await j.jicofoDebug();
          const up = ['jvb2', 'jvb3', 'jvb4'].filter((n) => b[KEY(n)]?.operational && !b[KEY(n)]?.['graceful-shutdown'] && !b[KEY(n)]?.['shutting-down']).length;
          minOperational = Math.min(minOperational, up);
          samples++;
        } catch {
          // jicofo's REST briefly busy: no sample
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    let out = '';
    const running = fleetInLab(j.lab, ['run', UPGRADE, '-i', inv, '--output', 'plain', '-e', 'jvb_drain_poll=1', '-e', 'jvb_upgrade_timeout=60'], { onStdout: (c) => (out += c) });
    const deadline = Date.now() + 60_000;
    while (!/RETRYING: \[jvb2\] Upgrade: wait until its participants have left/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await j.setParticipants('jvb2', 0);
    const r = await running;
    stop = true;
    await sampler;
    assert.is(r.code, 0, r.stdout.split('\n').filter((l) => !l.includes('RETRYING')).join('\n') + r.stderr + (await j.lab.exec('jvb2', 'tail -5 /var/log/jitsi/jvb.log; cat /run/jitsi-videobridge2/status; ps aux | grep -c jvb2.py')).stdout);
    assert.ok(samples > 20, `sampled jicofo ${samples} times during the run`);
    assert.ok(minOperational >= 2, `at least 2 of 3 bridges operational at every sample (min ${minOperational} over ${samples} samples)`);
    const b = await j.waitForJicofo((x) => ['jvb2', 'jvb3', 'jvb4'].every((n) => x[KEY(n)]?.version === '2.3-170-1' && x[KEY(n)]?.operational), 'all three on 2.3-170-1');
    assert.ok(b[KEY('jvb2')]);
    for (const h of ['jvb2', 'jvb3', 'jvb4']) assert.is((await j.lab.exec(h, "dpkg-query -W -f='${Version}' jitsi-videobridge2")).stdout, '2.3-170-1');
    assert.match(r.stdout, /upgrade from 2\.3-160-g97a1f15a-1 to 2\.3-170-1/);
    const again = await fleetInLab(j.lab, ['run', UPGRADE, '-i', inv, '--output', 'json']);
    assert.is(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout);
    for (const h of ['jvb2', 'jvb3', 'jvb4']) assert.is(report.stats[h].changed, 0, `${h}: nothing to do`);
  });

  test('a version that does not start stops the roll after the first bridge, with a clear message; the others keep running theirs', async () => {
    await j.publish('2.3-170-1', '2.3-171-1:broken');
    const r = await fleetInLab(j.lab, ['run', UPGRADE, '-i', inv, '--output', 'plain', '-e', 'jvb_drain_poll=1', '-e', 'jvb_upgrade_timeout=8']);
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /jvb2 did not come back after the upgrade to 2\.3-171-1: jicofo on meet does not see it operational after 8 s/);
    assert.not.match(r.stdout, /\[jvb3\] Upgrade: graceful shutdown/, 'the roll stopped before jvb3');
    for (const h of ['jvb3', 'jvb4']) assert.is((await j.lab.exec(h, "dpkg-query -W -f='${Version}' jitsi-videobridge2")).stdout, '2.3-170-1', `${h} kept its version`);
    const b = await j.jicofoDebug();
    assert.ok(b[KEY('jvb3')]?.operational && b[KEY('jvb4')]?.operational, 'jvb3 and jvb4 still operational');
    assert.not.ok(b[KEY('jvb2')], 'jvb2 is out');
    const st = await status();
    assert.is(st.code, 5);
    assert.match(st.json.problems.join('\n'), /jvb2: its service is not running/);
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
