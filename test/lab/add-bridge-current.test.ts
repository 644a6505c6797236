/**
 * playbooks/add-bridge.yml on today's Jitsi (issue 8, first steps): a current
 * main server (real prosody, stand-in jitsi-videobridge2 and jicofo meeting in
 * the brewery room) and two empty Debian hosts. The generation is found from
 * what the main server runs; the bridges log in with the main bridge's account
 * and join the brewery under their own nicknames.
 */
import { createHash } from 'node:crypto';
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
const PLAYBOOK = path.join(ROOT, 'playbooks', 'add-bridge.yml');
let j: JitsiLab;
let inv = '';
let mainNick = '';
let password = '';
const perBridge: string[] = [];
const outputs: string[] = [];

async function run(args: string[]) {
  const r = await fleetInLab(j.lab, args);
  outputs.push(r.stdout, r.stderr);
  return r;
}

if (!skip) {
  setup(test, async () => {
    j = await JitsiLab.start('meet', ['jvb2', 'jvb3', 'jvb4'], { generation: 'current' });
    await j.workspace();
    inv = path.join(j.lab.dir, 'work', 'hosts.yml');
    await writeFile(inv, j.inventory({ jvb2: undefined, jvb3: undefined }));
    const get = async (key: string) => JSON.parse((await j.lab.exec('meet', `hocon -j -i /etc/jitsi/videobridge/jvb.conf get ${key}`)).stdout);
    mainNick = await get('videobridge.apis.xmpp-client.configs.shard.MUC_NICKNAME');
    password = await get('videobridge.apis.xmpp-client.configs.shard.PASSWORD');
  });

  test.after(async () => {
    await j?.stop();
  });

  test('a current main server and two new bridges: one run, jicofo sees three in the brewery, the main bridge still in', async () => {
    assert.equal(await j.breweryOccupants(1), [mainNick]);
    const r = await run(['run', PLAYBOOK, '-i', inv, '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Generation: brewery \(found: jicofo 1\.0-1100-1; jitsi-videobridge2 [^)]*jicofo\.conf brewery-jid\)/);
    assert.equal(await j.breweryOccupants(3), [mainNick, 'jvb2', 'jvb3'].sort());
    assert.match(await j.status('meet', 'jitsi-videobridge2'), /shard: joined /);
    assert.not.match(await j.status('meet', 'jitsi-videobridge2'), /error/, 'the main bridge was not cut (its password unchanged)');
    const rules = (await j.lab.exec('meet', 'ufw status')).stdout;
    for (const h of ['jvb2', 'jvb3']) assert.match(rules, new RegExp(`5222/tcp +ALLOW +${j.lab.host(h).address.replace(/\./g, '\\.')}`), `5222 open to ${h} only`);
    assert.not.match(rules, /5222\/tcp +ALLOW +Anywhere/);
  });

  test('an immediate second run: 0 changed, nothing restarted', async () => {
    const r = await run(['run', PLAYBOOK, '-i', inv, '--output', 'json']);
    assert.is(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    for (const h of ['meet', 'jvb2', 'jvb3']) assert.is(report.stats[h].changed, 0, `${h} changed nothing`);
    assert.equal(await j.breweryOccupants(3), [mainNick, 'jvb2', 'jvb3'].sort());
  });

  test('check --diff with a third bridge: exit 3, the planned edits, every file under /etc unchanged; then the run adds it', async () => {
    const inv4 = inv + '.four.yml';
    await writeFile(inv4, j.inventory({ jvb2: undefined, jvb3: undefined, jvb4: undefined }));
    const sums = async () => Promise.all(['meet', 'jvb2', 'jvb3', 'jvb4'].map(async (h) => createHash('sha256').update((await j.lab.exec(h, 'find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum')).stdout).digest('hex')));
    const before = await sums();
    const check = await run(['check', PLAYBOOK, '-i', inv4, '--detailed-exitcode', '--output', 'plain']);
    assert.is(check.code, 3, check.stdout + check.stderr);
    assert.match(check.stdout, /changed: \[jvb4\] B2: install jitsi-videobridge2/);
    assert.match(check.stdout, /changed: \[jvb4\] jvb\.conf: the nickname in the brewery, jvb4 - All items completed\n +changed: \(item=meet\) - would edit \/etc\/jitsi\/videobridge\/jvb\.conf once the earlier task 'B2: install jitsi-videobridge2' has run/);
    assert.match(check.stdout, new RegExp(`changed: \\[meet\\] The brewery: 5222/tcp open to each bridge only`));
    assert.equal(await sums(), before, 'check mode changed no file under /etc');
    const r = await run(['run', PLAYBOOK, '-i', inv4, '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.equal(await j.breweryOccupants(4), [mainNick, 'jvb2', 'jvb3', 'jvb4'].sort());
  });

  test('a hand-edited jvb.conf: the run changes only the keys it owns and keeps the rest', async () => {
    const conf = '/etc/jitsi/videobridge/jvb.conf';
    await j.lab.exec('jvb2', `sed -i 's|^    websockets {|    # tuned by hand, keep\\n    health.interval = 20 seconds\\n    websockets {|' ${conf}; hocon -f ${conf} set videobridge.apis.xmpp-client.configs.shard.HOSTNAME '"wrong.example"'`);
    const before = (await j.lab.exec('jvb2', `cat ${conf}`)).stdout;
    assert.match(before, /# tuned by hand, keep/);
    const r = await run(['run', PLAYBOOK, '-i', inv, '--output', 'plain', '--diff']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const after = (await j.lab.exec('jvb2', `cat ${conf}`)).stdout;
    assert.match(after, /# tuned by hand, keep\n {4}health\.interval = 20 seconds\n/, 'the hand edits stay');
    assert.is(after, before.replace('"wrong.example"', `"${j.lab.host('meet').address}"`), 'only the key it owns changed, every other byte kept');
    assert.match(after, new RegExp(`HOSTNAME = "${j.lab.host('meet').address.replace(/\./g, '\\.')}"`));
    assert.equal(await j.breweryOccupants(4), [mainNick, 'jvb2', 'jvb3', 'jvb4'].sort());
  });

  test('two bridges cloned with one nickname: the run gives each its own, and jicofo sees both', async () => {
    const key = 'videobridge.apis.xmpp-client.configs.shard.MUC_NICKNAME';
    await j.lab.exec('jvb4', `hocon -f /etc/jitsi/videobridge/jvb.conf set ${key} '"jvb3"'; service jitsi-videobridge2 restart >/dev/null`);
    await new Promise((r) => setTimeout(r, 3000));
    assert.is((await j.breweryOccupants(4, 2000)).length, 3, 'the clone merged into jvb3');
    const r = await run(['run', PLAYBOOK, '-i', inv + '.four.yml', '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /changed: \[jvb4\] jvb\.conf: the nickname in the brewery, jvb4/);
    assert.equal(await j.breweryOccupants(4), [mainNick, 'jvb2', 'jvb3', 'jvb4'].sort());
  });

  test('jicofo without its brewery-jid: the run sets it (only because it was missing) and restarts jicofo', async () => {
    await j.lab.exec('meet', 'hocon -f /etc/jitsi/jicofo/jicofo.conf unset jicofo.bridge.brewery-jid');
    const r = await run(['run', PLAYBOOK, '-i', inv + '.four.yml', '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /changed: \[meet\] jicofo's brewery room: JvbBrewery@internal\.auth\.meet\.example\.com/);
    assert.match(r.stdout, /skipping: \[meet\] The brewery's MUC: serve internal\.auth/, 'the MUC was there: left alone');
    const jid = (await j.lab.exec('meet', 'hocon -j -i /etc/jitsi/jicofo/jicofo.conf get jicofo.bridge.brewery-jid')).stdout;
    assert.is(JSON.parse(jid), 'JvbBrewery@internal.auth.meet.example.com');
    assert.equal(await j.breweryOccupants(4), [mainNick, 'jvb2', 'jvb3', 'jvb4'].sort());
  });

  test('per-bridge accounts: each bridge logs in with its own account; one can be revoked alone', async () => {
    const inv4 = inv + '.per-bridge.yml';
    await writeFile(inv4, j.inventory({ jvb2: undefined, jvb3: undefined, jvb4: undefined }, { jitsi_bridge_accounts: 'per-bridge' }));
    const r = await run(['run', PLAYBOOK, '-i', inv4, '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    for (const h of ['jvb2', 'jvb3', 'jvb4']) {
      let status = '';
      for (let i = 0; i < 60 && !status.includes(`jvb-${h}@`); i++) {
        await new Promise((res) => setTimeout(res, 250));
        status = await j.status(h, 'jitsi-videobridge2');
      }
      assert.match(status, new RegExp(`joined .* as ${h} \\(jvb-${h}@auth\\.meet\\.example\\.com/`), `${h} logs in as jvb-${h}`);
      perBridge.push((await j.lab.exec('meet', `cat /etc/jitsi/jitsi-fleet/${h}.password`)).stdout.trim());
    }
    assert.equal(await j.breweryOccupants(4), [mainNick, 'jvb2', 'jvb3', 'jvb4'].sort());
    const again = await run(['run', PLAYBOOK, '-i', inv4, '--output', 'json']);
    const report = JSON.parse(again.stdout);
    for (const h of ['meet', 'jvb2', 'jvb3', 'jvb4']) assert.is(report.stats[h].changed, 0, `${h}: second per-bridge run changes nothing`);
    // Revoking jvb3 alone: its account goes, the others stay in.
    await j.lab.exec('meet', 'prosodyctl deluser jvb-jvb3@auth.meet.example.com');
    await j.lab.exec('jvb3', 'service jitsi-videobridge2 restart >/dev/null');
    let status = '';
    for (let i = 0; i < 60 && !/error/.test(status); i++) {
      await new Promise((res) => setTimeout(res, 250));
      status = await j.status('jvb3', 'jitsi-videobridge2');
    }
    assert.match(status, /error: not-authorized/);
    // jicofo drops it once prosody reports it gone (a health check in flight may hold that up for its 4 s timeout).
    const left = await j.breweryOccupants((seen) => !seen.includes('jvb3'), 20_000);
    assert.equal(left, [mainNick, 'jvb2', 'jvb4'].sort());
  });

  test('the bridges\' passwords appear in no output', () => {
    const all = outputs.join('\n');
    assert.ok(all.length > 1000);
    assert.not.ok(all.includes(password), 'the jvb password was printed');
    for (const p of perBridge) assert.not.ok(p.length > 0 && all.includes(p), 'a per-bridge password was printed');
  });

  test('a fleet whose main server is current is refused as legacy, before any change', async () => {
    await writeFile(inv + '.legacy.yml', j.inventory({ jvb2: undefined }, { jitsi_generation: 'legacy' }));
    const r = await run(['run', PLAYBOOK, '-i', inv + '.legacy.yml', '--output', 'plain']);
    assert.is(r.code, 2, r.stdout);
    assert.match(r.stdout, /meet runs the brewery generation \(found: .*\), but jitsi_generation is legacy; nothing was changed/);
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
