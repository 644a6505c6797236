/**
 * Several shards (issue 9): two current main servers of one domain, each
 * with its own prosody, jicofo and bridge. add-bridge.yml gives a bridge one
 * xmpp-client entry per shard (each with that shard's per-bridge account),
 * or only the shards named in jvb_shards; both jicofos see what they should,
 * and `status` reads both.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';
import { fleetInLab } from '../helpers/lab-cli.ts';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { JitsiLab } from './jitsi.ts';

const skip = await labOrSkip();
const ADD = path.join(ROOT, 'playbooks', 'add-bridge.yml');
const KEY = (nick: string) => `jvbbrewery@internal.auth.meet.example.com/${nick}`;
let j: JitsiLab;
let inv = '';

if (!skip) {
  setup(test, async () => {
    j = await JitsiLab.start('meet', ['jvb2', 'jvb3'], { generation: 'current', shards: ['meet2'] });
    await j.workspace();
    inv = path.join(j.lab.dir, 'work', 'hosts.yml');
    const text = j.inventory({ jvb2: undefined, jvb3: undefined }, { jitsi_bridge_accounts: 'per-bridge' });
    await writeFile(inv, text.replace(/(\n(\s+)jvb3:\n)/, '$1$2  jvb_shards: [meet2]\n'));
  });
  test.after(async () => {
    await j?.stop();
  });

  test('two shards: jvb2 joins both breweries, jvb3 only the one jvb_shards names; each jicofo sees its bridges; status reads both', async () => {
    const r = await fleetInLab(j.lab, ['run', ADD, '-i', inv, '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const meet = await j.waitForJicofo((b) => Boolean(b[KEY('jvb2')]?.operational), 'jvb2 on meet');
    const meet2 = await j.waitForJicofo((b) => Boolean(b[KEY('jvb2')]?.operational && b[KEY('jvb3')]?.operational), 'jvb2 and jvb3 on meet2', 45_000, 'meet2');
    assert.not.ok(meet[KEY('jvb3')], 'jvb3 is not in the first shard');
    assert.is(Object.keys(meet).length, 2, `meet: its own bridge and jvb2 (${Object.keys(meet).join(', ')})`);
    assert.is(Object.keys(meet2).length, 3, `meet2: its own bridge, jvb2, jvb3 (${Object.keys(meet2).join(', ')})`);
    const entries = async (h: string) => Object.keys(JSON.parse((await j.lab.exec(h, 'hocon -j -i /etc/jitsi/videobridge/jvb.conf get videobridge.apis.xmpp-client.configs')).stdout)).sort();
    assert.equal(await entries('jvb2'), ['shard', 'shard-meet2']);
    assert.equal(await entries('jvb3'), ['shard-meet2']);
    const hostname = async (h: string, e: string) => JSON.parse((await j.lab.exec(h, `hocon -j -i /etc/jitsi/videobridge/jvb.conf get videobridge.apis.xmpp-client.configs.${e}.HOSTNAME`)).stdout);
    assert.is(await hostname('jvb2', 'shard'), j.lab.host('meet').address);
    assert.is(await hostname('jvb2', 'shard-meet2'), j.lab.host('meet2').address);
    // Each shard made its own password for each of its bridges.
    const pw = async (m: string, b: string) => (await j.lab.exec(m, `cat /etc/jitsi/jitsi-fleet/${b}.password 2>/dev/null`)).stdout.trim();
    assert.ok((await pw('meet', 'jvb2')) && (await pw('meet2', 'jvb2')) && (await pw('meet', 'jvb2')) !== (await pw('meet2', 'jvb2')));
    assert.is(await pw('meet', 'jvb3'), '', 'meet made no account for jvb3, which does not join it');

    const st = await fleetInLab(j.lab, ['status', '-i', inv, '--output', 'json']);
    assert.is(st.code, 0, st.stdout);
    const doc = JSON.parse(st.stdout) as { hosts: { name: string; bridge?: { seenBy: { main: string; bridge?: { operational: boolean } }[] } }[]; unlisted: unknown[] };
    const seen = (h: string) => doc.hosts.find((x) => x.name === h)!.bridge!.seenBy.map((v) => `${v.main}:${v.bridge?.operational}`).sort();
    assert.equal(seen('jvb2'), ['meet2:true', 'meet:true']);
    assert.equal(seen('jvb3'), ['meet2:true']);
    assert.equal(doc.unlisted, [], 'both main servers\' own bridges are accounted for');
    const again = await fleetInLab(j.lab, ['run', ADD, '-i', inv, '--output', 'json']);
    const report = JSON.parse(again.stdout);
    for (const h of ['meet', 'meet2', 'jvb2', 'jvb3']) assert.is(report.stats[h].changed, 0, `a second run changes nothing on ${h}`);
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
