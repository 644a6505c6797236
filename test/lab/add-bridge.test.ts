/**
 * playbooks/add-bridge.yml end to end: real prosody and nginx on a main
 * server, stand-in legacy bridge and jicofo packages from a signed apt
 * repository in the lab, and the bridges' statistics seen by jicofo through
 * prosody's pubsub node.
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
import { DOMAIN, JitsiLab } from './jitsi.ts';

const skip = await labOrSkip();
const PLAYBOOK = path.join(ROOT, 'playbooks', 'add-bridge.yml');
let j: JitsiLab;
let inv2 = '';
let inv3 = '';
const outputs: string[] = [];

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; report?: any }> {
  const r = await fleetInLab(j.lab, args);
  outputs.push(r.stdout, r.stderr);
  let report: any;
  if (args.includes('json')) {
    try {
      report = JSON.parse(r.stdout);
    } catch {
      /* not JSON: left undefined */
    }
  }
  return { ...r, report };
}

async function etcSums(host: string): Promise<string> {
  const r = await j.lab.exec(host, 'find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum');
  return createHash('sha256').update(r.stdout).digest('hex');
}

const bridgeJids = (...subs: string[]) => ['jitsi-videobridge', ...subs].map((s) => `${s}.${DOMAIN}`).sort();

if (!skip) {
  setup(test, async () => {
    j = await JitsiLab.start('meet', ['jvb2', 'jvb3']);
    await j.workspace();
    inv2 = path.join(j.lab.dir, 'work', 'two.yml');
    inv3 = path.join(j.lab.dir, 'work', 'three.yml');
    await writeFile(inv2, j.inventory({ jvb2: 'videobridge2' }));
    await writeFile(inv3, j.inventory({ jvb2: 'videobridge2', jvb3: 'videobridge3' }));
  });

  test.after(async () => {
    await j?.stop();
  });

  test('1. a fresh main server and one bridge: jicofo sees both bridges; prosodyctl check config passes', async () => {
    assert.equal(await j.jicofoSees(), [], 'before: the default install publishes no statistics');
    const r = await run(['run', PLAYBOOK, '-i', inv2, '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Generation: legacy \(found: jicofo 1\.0\.4101-1; jitsi-videobridge 1\.0\.4101-1\)/, 'auto detection: legacy');
    assert.equal(await j.jicofoSees(2), bridgeJids('videobridge2'), `jicofo: ${await j.status('meet', 'jicofo')}; jvb2: ${await j.status('jvb2', 'jitsi-videobridge')}`);
    const check = await j.lab.exec('meet', 'prosodyctl check config');
    assert.is(check.code, 0, check.stdout + check.stderr);
  });

  test('2. an immediate second run: 0 changed, no service restarted', async () => {
    const r = await run(['run', PLAYBOOK, '-i', inv2, '--output', 'json']);
    assert.is(r.code, 0, r.stderr);
    for (const [h, s] of Object.entries<any>(r.report.stats)) assert.is(s.changed, 0, `${h} changed nothing`);
    const handlers = r.report.plays.flatMap((p: any) => p.tasks.filter((t: any) => t.handler));
    assert.equal(handlers, [], 'no handler ran');
  });

  test('3. check --diff with a third bridge: the planned edits, nothing changed, exit 3; then the run adds it', async () => {
    const before = await Promise.all(['meet', 'jvb2', 'jvb3'].map(etcSums));
    const r = await run(['check', PLAYBOOK, '-i', inv3, '--detailed-exitcode', '--output', 'plain']);
    assert.is(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /\+\s+admins = \{ "jitsi-videobridge\.meet\.example\.com", "videobridge2\.meet\.example\.com", "videobridge3\.meet\.example\.com" \}/);
    assert.match(r.stdout, /\+Component "videobridge3\.meet\.example\.com"/);
    assert.match(r.stdout, /would install jitsi-videobridge/);
    assert.not.match(r.stdout, /changed: \[jvb2\]/, 'the existing bridge: no change');
    const after = await Promise.all(['meet', 'jvb2', 'jvb3'].map(etcSums));
    assert.equal(after, before, 'no file under /etc changed on any host');
    const real = await run(['run', PLAYBOOK, '-i', inv3, '--output', 'plain']);
    assert.is(real.code, 0, real.stdout + real.stderr);
    assert.equal(await j.jicofoSees(3), bridgeJids('videobridge2', 'videobridge3'));
  });

  test('4. no JVB secret appears in terminal output, the JSON report or the diffs', async () => {
    await run(['check', PLAYBOOK, '-i', inv3, '--output', 'json']);
    await run(['run', PLAYBOOK, '-i', inv3, '--diff', '--output', 'plain']);
    const secrets: string[] = [];
    for (const h of ['meet', 'jvb2', 'jvb3']) {
      const cfg = (await j.lab.exec(h, 'cat /etc/jitsi/videobridge/config')).stdout;
      secrets.push(/^JVB_SECRET=(.*)$/m.exec(cfg)![1]);
    }
    assert.is(new Set(secrets).size, 3);
    const all = outputs.join('\n');
    assert.ok(all.length > 1000);
    for (const s of secrets) assert.not.ok(all.includes(s), 'a JVB secret was printed');
  });

  test('5. without the admins step the bridges cannot publish, and jicofo sees none', async () => {
    // Undo step A1 by hand and forget the statistics node, as on a server where the step was never done.
    await j.lab.exec('meet', `sed -i '/admins = { "jitsi-videobridge/d' /etc/prosody/conf.d/${DOMAIN}.cfg.lua; service prosody stop; rm -rf /var/lib/prosody/*/pubsub*; service prosody start`);
    await j.lab.exec('jvb2', 'service jitsi-videobridge restart');
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(await j.jicofoSees(undefined), [], 'no bridge can create the node');
    assert.match(await j.status('jvb2', 'jitsi-videobridge'), /error: publishing .*(forbidden|item-not-found)/);
    const r = await run(['run', PLAYBOOK, '-i', inv3, '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /changed: \[meet\] A1/);
    assert.equal(await j.jicofoSees(3), bridgeJids('videobridge2', 'videobridge3'), 'the run restores the chain');
  });

  test('6. the main server unreachable: a clear error, and the next run finishes the job', async () => {
    await j.lab.exec('meet', 'kill $(cat /run/sshd.pid)');
    try {
      const r = await run(['run', PLAYBOOK, '-i', inv3, '--output', 'json']);
      assert.is(r.code, 4);
      assert.match(r.report.unreachable.meet, /connection refused/);
      assert.is(r.report.stats.jvb2.failed, 0, 'the bridges are configured all the same');
    } finally {
      await j.lab.exec('meet', '/usr/sbin/sshd');
    }
    const again = await run(['run', PLAYBOOK, '-i', inv3, '--output', 'plain']);
    assert.is(again.code, 0, again.stdout + again.stderr);
    assert.equal(await j.jicofoSees(3), bridgeJids('videobridge2', 'videobridge3'));
  });
  test('7. removing a legacy bridge (jvb_state: absent): its service stopped and disabled, its Component and admins entry gone, prosody restarted once; status agrees', async () => {
    const gone = path.join(j.lab.dir, 'work', 'gone.yml');
    await writeFile(gone, j.inventory({ jvb2: 'videobridge2', jvb3: 'videobridge3' }).replace(/(\n(\s+)jvb3:\n)/, '$1$2  jvb_state: absent\n'));
    const r = await run(['run', PLAYBOOK, '-i', gone, '--output', 'plain']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is((r.stdout.match(/changed: \[meet\] restart prosody/g) ?? []).length, 1, 'prosody restarted once');
    const site = (await j.lab.exec('meet', `cat /etc/prosody/conf.d/${DOMAIN}.cfg.lua`)).stdout;
    assert.not.match(site, /videobridge3/, 'no Component, no admins entry for the removed bridge');
    assert.match(site, /Component "videobridge2\.meet\.example\.com"/);
    assert.match(site, /admins = \{ "jitsi-videobridge\.meet\.example\.com", "videobridge2\.meet\.example\.com" \}/);
    assert.is((await j.lab.exec('jvb3', 'service jitsi-videobridge status')).code === 0, false, 'jvb3 stopped');
    assert.is((await j.lab.exec('jvb3', 'ls /etc/rc2.d/S*jitsi-videobridge')).code === 0, false, 'and disabled');
    assert.is((await j.lab.exec('meet', 'prosodyctl check config')).code, 0);
    const again = await run(['run', PLAYBOOK, '-i', gone, '--output', 'json']);
    for (const h of ['meet', 'jvb2', 'jvb3']) assert.is(again.report.stats[h].changed, 0, `a second run changes nothing on ${h}`);
    const st = await fleetInLab(j.lab, ['status', '-i', gone, '--output', 'json']);
    const doc = JSON.parse(st.stdout) as { hosts: { name: string; generation: string; bridge?: { state: string } }[] };
    assert.is(st.code, 0, st.stdout);
    assert.equal(doc.hosts.map((h) => [h.name, h.generation, h.bridge?.state]), [['meet', 'legacy', 'running'], ['jvb2', 'legacy', 'running'], ['jvb3', 'legacy', 'removed']]);
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
