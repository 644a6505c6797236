/**
 * Running a fleet day to day (issue 9), on one current-generation lab: a
 * main server and three bridges added by add-bridge.yml, then
 * `jitsi-fleet status` against what the jicofo stand-in records.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';
import { fleetInLab, labHome } from '../helpers/lab-cli.ts';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { JitsiLab } from './jitsi.ts';

const skip = await labOrSkip();
const ADD = path.join(ROOT, 'playbooks', 'add-bridge.yml');
let j: JitsiLab;
let inv = '';
let mainNick = '';

type Status = { hosts: { name: string; reachable: boolean; role: string; packages: Record<string, string>; services: Record<string, string>; bridge?: { state: string; ok: boolean; stats?: { participants: number }; seenBy: { main: string; bridge?: { operational: boolean; nickname: string } }[] } }[]; unlisted: { nickname: string }[]; problems: string[]; ok: boolean; exit_code: number };

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
    const home = await labHome(j.lab);
    await j.lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    await mkdir(path.join(j.lab.dir, 'work'), { recursive: true });
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
} else {
  test('lab unavailable', () => {});
}

test.run();
