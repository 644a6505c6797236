/**
 * The current generation's stand-ins in the lab, before any playbook: a
 * current main server whose own bridge sits in jicofo's brewery room, and
 * bridges configured by hand the way the handbook says (jvb.conf pointing at
 * the main server). They fail where the real ones fail: a wrong password, a
 * jvb.conf that HOCON cannot read, two bridges with one nickname (merged).
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { setup } from '../helpers/suite.ts';
import { DOMAIN, JitsiLab, REPO_URL } from './jitsi.ts';

const skip = await labOrSkip();
let j: JitsiLab;
let jvbPassword = '';
const KEYRING = '/usr/share/keyrings/jitsi-keyring.asc';

async function sh(host: string, script: string): Promise<string> {
  const r = await j.lab.exec(host, `set -e\n${script}`);
  if (r.code !== 0) throw new Error(`on ${host}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Installs jitsi-videobridge2 on `host` and points its jvb.conf at the main server, by hand. */
async function handBridge(host: string, nick: string, password: string): Promise<void> {
  const conf = '/etc/jitsi/videobridge/jvb.conf';
  const entry = 'videobridge.apis.xmpp-client.configs.shard';
  await sh(host, `
export DEBIAN_FRONTEND=noninteractive
curl -fsS ${REPO_URL}jitsi-key.gpg.key -o ${KEYRING}
echo 'deb [signed-by=${KEYRING}] ${REPO_URL} stable/' > /etc/apt/sources.list.d/jitsi-stable.list
apt-get update -q >/dev/null
echo 'jitsi-videobridge jitsi-videobridge/jvb-hostname string ${DOMAIN}' | debconf-set-selections
apt-get install -y -q jitsi-videobridge2 >/dev/null
hocon -f ${conf} set ${entry}.HOSTNAME '"${j.lab.host(j.main).address}"'
hocon -f ${conf} set ${entry}.PASSWORD '${JSON.stringify(password)}'
hocon -f ${conf} set ${entry}.MUC_NICKNAME '"${nick}"'
hocon -f ${conf} set ${entry}.DISABLE_CERTIFICATE_VERIFICATION true
chown root:jitsi ${conf}; chmod 640 ${conf}
service jitsi-videobridge2 restart >/dev/null
`);
}

if (!skip) {
  setup(test, async () => {
    j = await JitsiLab.start('meet', ['jvb2', 'jvb3'], { generation: 'current', firewall: false });
    jvbPassword = JSON.parse(await sh('meet', 'hocon -i /etc/jitsi/videobridge/jvb.conf -j get videobridge.apis.xmpp-client.configs.shard.PASSWORD'));
  });
  test.after(async () => {
    await j?.stop();
  });

  test('a fresh current main server: its own bridge is in the brewery, with the uuid nickname its package chose', async () => {
    const nick = JSON.parse(await sh('meet', 'hocon -i /etc/jitsi/videobridge/jvb.conf -j get videobridge.apis.xmpp-client.configs.shard.MUC_NICKNAME'));
    assert.match(nick, /^[0-9a-f-]{36}$/);
    assert.equal(await j.breweryOccupants(1), [nick]);
    assert.match(await j.status('meet', 'jitsi-videobridge2'), /shard: joined jvbbrewery@internal\.auth\.meet\.example\.com as /);
  });

  test('a bridge configured by hand joins the brewery; a cloned one with the same nickname merges into it', async () => {
    await handBridge('jvb2', 'jvb2', jvbPassword);
    const seen = await j.breweryOccupants(2);
    assert.is(seen.length, 2, `jicofo sees ${seen.join(', ')}`);
    assert.ok(seen.includes('jvb2'));
    await handBridge('jvb3', 'jvb2', jvbPassword);
    await new Promise((r) => setTimeout(r, 3000));
    assert.match(await j.status('jvb3', 'jitsi-videobridge2'), /joined .* as jvb2/, 'jvb3 is logged in and in the room');
    assert.is((await j.breweryOccupants(3, 3000)).length, 2, 'two bridges with one nickname are one occupant: the trap');
  });

  test('a wrong password and a jvb.conf HOCON cannot read fail as the real bridge does', async () => {
    await sh('jvb3', `hocon -f /etc/jitsi/videobridge/jvb.conf set videobridge.apis.xmpp-client.configs.shard.PASSWORD '"wrong"'; service jitsi-videobridge2 restart >/dev/null`);
    let status = '';
    for (let i = 0; i < 40 && !/error/.test(status); i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = await j.status('jvb3', 'jitsi-videobridge2');
    }
    assert.match(status, /shard: error: not-authorized/);
    await sh('jvb3', `sed -i 's/PASSWORD = .*/PASSWORD = x@y/' /etc/jitsi/videobridge/jvb.conf; service jitsi-videobridge2 restart >/dev/null`);
    status = '';
    for (let i = 0; i < 40 && !/error/.test(status); i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = await j.status('jvb3', 'jitsi-videobridge2');
    }
    assert.match(status, /error: cannot read \/etc\/jitsi\/videobridge\/jvb\.conf/);
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
