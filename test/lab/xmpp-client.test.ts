/**
 * The current generation's XMPP client stand-in (test/fixtures/jitsi/common/
 * xmpp_client.py) against real prosody, as the stand-in bridges and jicofo
 * of the brewery lab will use it: STARTTLS with the self-signed auth
 * certificate, SCRAM-SHA-1 login on auth.<domain>, joining the brewery MUC
 * on internal.auth.<domain>, and the failures the real daemons meet.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { setup } from '../helpers/suite.ts';
import { Lab } from './lab.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'jitsi');
const DOMAIN = 'meet.example.com';
const AUTH = `auth.${DOMAIN}`;
const BREWERY = `jvbbrewery@internal.${AUTH}`;
const JVB_PASSWORD = 'p@ss#w0rd-with=signs';
const skip = await labOrSkip();
let lab: Lab;

async function sh(host: string, script: string, input?: string): Promise<string> {
  const r = await lab.exec(host, `set -e\n${script}`, input);
  if (r.code !== 0) throw new Error(`on ${host}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a Python snippet with the client on `host`; returns its stdout, or throws with what it printed. */
async function py(host: string, code: string): Promise<{ code: number; out: string }> {
  const r = await lab.exec(host, 'cd /opt/standin && python3 -', `import sys\nsys.path.insert(0, '/opt/standin')\nfrom xmpp_client import Client, XmppError\n${code}`);
  return { code: r.code, out: r.stdout + r.stderr };
}

const login = (opts: { user?: string; password?: string; verify?: boolean } = {}) =>
  `Client('${DOMAIN}', 5222, '${AUTH}', '${opts.user ?? 'jvb'}', ${JSON.stringify(opts.password ?? JVB_PASSWORD)}, verify_certificate=${opts.verify ? 'True' : 'False'})`;

if (!skip) {
  setup(test, async () => {
    lab = await Lab.start(['meet', 'jvb2']);
    for (const h of ['meet', 'jvb2']) {
      await sh(h, `echo '${lab.host('meet').address} ${DOMAIN} ${AUTH}' >> /etc/hosts; mkdir -p /opt/standin`);
      for (const f of ['xmpp_client.py', 'xmpp_stream.py']) await sh(h, `cat > /opt/standin/${f}`, await readFile(path.join(FIXTURES, 'common', f), 'utf8'));
    }
    await sh('meet', `
sed -i 's/lua5\\.2/lua5.4/g' /etc/init.d/prosody
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=${AUTH} -keyout /etc/prosody/certs/${AUTH}.key -out /etc/prosody/certs/${AUTH}.crt 2>/dev/null
chown prosody /etc/prosody/certs/${AUTH}.key
cat > /etc/prosody/conf.d/${DOMAIN}.cfg.lua <<'CFG'
VirtualHost "${AUTH}"
    authentication = "internal_hashed"
    ssl = { key = "/etc/prosody/certs/${AUTH}.key"; certificate = "/etc/prosody/certs/${AUTH}.crt" }
Component "internal.${AUTH}" "muc"
    storage = "memory"
CFG
prosodyctl register jvb ${AUTH} '${JVB_PASSWORD}'
prosodyctl register focus ${AUTH} focus-secret
service prosody restart >/dev/null
for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/5222) 2>/dev/null && break; sleep 0.1; done
`);
  });
  test.after(async () => {
    await lab?.stop();
  });

  test('a bridge logs in over STARTTLS with SCRAM and joins the brewery; jicofo sees it there', async () => {
    const bridge = lab.exec('jvb2', 'cd /opt/standin && timeout 8 python3 -', `import sys, time
sys.path.insert(0, '/opt/standin')
from xmpp_client import Client
c = ${login()}
c.join('${BREWERY}', 'jvb2-nick')
print('joined', c.jid, flush=True)
time.sleep(5)
`);
    await new Promise((r) => setTimeout(r, 1500));
    const focus = await py('meet', `import time
c = ${login({ user: 'focus', password: 'focus-secret' })}
c.join('${BREWERY}', 'focus')
seen = set()
deadline = time.time() + 3
while time.time() < deadline:
    st = c.next_event(0.5)
    if st is not None and st.tag.endswith('}presence') and st.get('type') != 'unavailable':
        seen.add(st.get('from').split('/')[1])
print(sorted(seen))
`);
    assert.is(focus.code, 0, focus.out);
    assert.match(focus.out, /'jvb2-nick'/);
    const b = await bridge;
    assert.match(b.stdout, new RegExp(`joined jvb@${AUTH.replace(/\./g, '\\.')}/standin-`), b.stdout + b.stderr);
  });

  test('a wrong password is refused (not-authorized), as the real bridge fails', async () => {
    const r = await py('jvb2', `try:\n    ${login({ password: 'not-it' })}\nexcept XmppError as e:\n    print('refused', e.condition)\n`);
    assert.match(r.out, /refused not-authorized/);
  });

  test('the self-signed auth certificate is refused unless verification is switched off', async () => {
    const r = await py('jvb2', `try:\n    ${login({ verify: true })}\nexcept XmppError as e:\n    print('refused', e.condition)\n`);
    assert.match(r.out, /refused tls-failure/);
  });

  test('a closed port: the connection fails with a clear reason', async () => {
    const r = await py('jvb2', `try:\n    Client('${DOMAIN}', 5999, '${AUTH}', 'jvb', 'x')\nexcept XmppError as e:\n    print('refused', e.condition, str(e))\n`);
    assert.match(r.out, /refused remote-server-not-found .*cannot connect to meet\.example\.com:5999/);
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
