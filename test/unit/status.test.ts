/** The planning side of `jitsi-fleet status`: reading a host's report and judging the fleet (no hosts needed). */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { judge, parseHttp, readHost, statusScript, xmppEntries, type HostStatus, type StatusHost } from '../../src/fleet/status.ts';

const CONF = `videobridge {
  apis.xmpp-client.configs {
    shard { HOSTNAME = "10.0.0.1", DOMAIN = "auth.meet", USERNAME = jvb, PASSWORD = "s3cret", MUC_JIDS = "JvbBrewery@internal.auth.meet", MUC_NICKNAME = jvb2 }
    other { hostname = "10.0.0.2", domain = "auth.meet", username = jvb, password = x, muc_jids = "a@b, c@d", muc_nickname = n2 }
    broken { HOSTNAME = "10.0.0.3", MUC_NICKNAME = n3 }
  }
}
`;

function host(name: string, groups: string[], sections: Record<string, string>, vars: Record<string, unknown> = {}): HostStatus {
  const h: StatusHost = { name, groups, vars: (n) => ({ ansible_host: `addr-${name}`, ...vars })[n], connection: undefined as never };
  return readHost(h, Object.entries(sections).map(([k, v]) => `\n@@jf:${k}\n${v}`).join(''));
}

const http = (body: string, status = 200) => `HTTP/1.0 ${status} OK\r\nContent-Type: application/json\r\n\r\n${body}`;
const debug = (bridges: Record<string, Record<string, unknown>>) => http(JSON.stringify({ bridge_selector: { bridge: bridges } }));
const ok = { operational: true, drain: false, 'graceful-shutdown': false, 'shutting-down': false, stress: 0.1, endpoints: 3, version: '2.3' };

test('jvb.conf entries: keys in any case, MUC_JIDS lists, incomplete entries dropped as the bridge drops them; no password kept', () => {
  const e = xmppEntries(CONF);
  assert.equal(e, [
    { name: 'shard', hostname: '10.0.0.1', room: 'jvbbrewery@internal.auth.meet', nickname: 'jvb2' },
    { name: 'other', hostname: '10.0.0.2', room: 'a@b', nickname: 'n2' },
    { name: 'other', hostname: '10.0.0.2', room: 'c@d', nickname: 'n2' },
  ]);
  assert.not.match(JSON.stringify(e), /s3cret/);
});

test('an HTTP answer, a refused port, a timeout', () => {
  assert.equal(parseHttp(http('{"a":1}')), { status: 200, body: '{"a":1}' });
  assert.equal(parseHttp('jf-http-failed 7\n'), { error: 'connection refused' });
  assert.equal(parseHttp('jf-http-failed 124\n'), { error: 'no answer within 3 s' });
  assert.match(statusScript(), /\/dev\/tcp\/127\.0\.0\.1/);
});

test('judging: seen and operational, not seen, forgotten, stopped, REST off, removed', () => {
  const pkgs = 'jitsi-videobridge2\t2.3-1\tinstalled\njicofo\t1.0\tinstalled\n';
  const meet = host('meet', ['jitsi_meet'], {
    packages: pkgs, services: 'jicofo\tactive\njitsi-videobridge2\tactive\n', 'jicofo.conf-brewery': 'brewery-jid = "JvbBrewery@internal.auth.meet"',
    'jicofo-debug': debug({ 'jvbbrewery@internal.auth.meet/uuid-1': ok, 'jvbbrewery@internal.auth.meet/jvb2': ok, 'jvbbrewery@internal.auth.meet/ghost': ok, 'jvbbrewery@internal.auth.meet/gone': { ...ok, operational: false } }),
    'jvb.conf': CONF.replace('MUC_NICKNAME = jvb2', 'MUC_NICKNAME = uuid-1').replace('"10.0.0.1"', 'localhost'), 'jvb-stats': '',
  });
  const conf = (nick: string) => CONF.replace('MUC_NICKNAME = jvb2', `MUC_NICKNAME = ${nick}`).replace('"10.0.0.1"', '"addr-meet"');
  const bridge = (name: string, running: boolean, extra: Record<string, string> = {}, vars = {}) =>
    host(name, ['jitsi_bridges'], { packages: 'jitsi-videobridge2\t2.3-1\tinstalled\n', services: `jitsi-videobridge2\t${running ? 'active' : 'inactive'}\n`, 'jvb.conf': conf(name), 'jvb-stats': http('{"participants": 4, "octo_endpoints": 1}'), ...extra }, vars);
  const hosts = [meet, bridge('jvb2', true), bridge('jvb3', true, { 'jvb-stats': http('{}', 404) }), bridge('jvb4', false), bridge('gone', true, {}, { jvb_state: 'absent' })];
  // The entries of other shards (10.0.0.2) point at no main server of the inventory: not our finding here.
  for (const h of hosts) if (h.bridge) h.bridge.entries = h.bridge.entries.filter((e) => e.name === 'shard');
  const j = judge(hosts);
  assert.is(hosts[0].bridge!.state, 'operational', "the main server's own bridge, by localhost");
  assert.is(hosts[1].bridge!.state, 'operational');
  assert.is(hosts[1].bridge!.stats!.participants, 3, 'participants minus relayed endpoints');
  assert.is(hosts[2].bridge!.state, 'not seen');
  assert.equal(hosts[2].bridge!.rest, { state: 'off', setting: 'videobridge.apis.rest.enabled = true in jvb.conf' });
  assert.is(hosts[3].bridge!.state, 'stopped');
  assert.is(hosts[4].bridge!.state, 'still in the brewery');
  assert.equal(j.unlisted.map((u) => u.nickname), ['ghost']);
  assert.equal(j.problems, [
    'jvb3: jicofo on meet does not see it',
    'jvb4: its service is not running',
    'gone: marked jvb_state: absent but jicofo still sees it',
  ]);
  assert.is(j.ok, false);
});

test.run();
