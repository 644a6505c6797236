/**
 * A Jitsi lab: a main server ("Server A": real prosody and nginx from
 * Debian, the stand-in legacy jitsi-videobridge and jicofo from a signed apt
 * repository inside the lab, the site config as jitsi-meet-prosody wrote it,
 * ufw with the default install's ports) and fresh Debian hosts for bridges.
 */
import path from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { $ } from 'zx';
import { CONTROLLER_ADDRESS, Lab } from './lab.ts';
import { labHome } from '../helpers/lab-cli.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '..', '..', '..', 'test', 'fixtures', 'jitsi');
export const DOMAIN = 'meet.example.com';
export const REPO_URL = `http://${CONTROLLER_ADDRESS}:8000/`;
const KEYRING = '/usr/share/keyrings/jitsi-keyring.asc';

export class JitsiLab {
  private constructor(readonly lab: Lab, readonly main: string, readonly shards: string[] = []) {}

  /**
   * Starts the lab: `main` as Server A, the others as empty Debian hosts;
   * `shards` are more current main servers of the same domain (each its own
   * prosody, jicofo and bridge), as behind a load balancer.
   */
  static async start(main: string, others: string[], opts: { firewall?: boolean; generation?: 'legacy' | 'current'; shards?: string[] } = {}): Promise<JitsiLab> {
    const shards = opts.shards ?? [];
    const lab = await Lab.start([main, ...shards, ...others]);
    const generation = opts.generation ?? 'legacy';
    try {
      const repo = path.join(lab.dir, 'repo');
      await $`bash ${path.join(FIXTURES, 'build-repo.sh')} ${repo} ${generation}`.quiet();
      await lab.spawnController('python3', ['-m', 'http.server', '8000', '--bind', CONTROLLER_ADDRESS, '--directory', repo]);
      const j = new JitsiLab(lab, main, shards);
      const mainAddress = lab.host(main).address;
      await Promise.all([main, ...others].map((h) => lab.exec(h, `echo '${mainAddress} ${DOMAIN} auth.${DOMAIN}' >> /etc/hosts`)));
      await Promise.all(shards.map((h) => lab.exec(h, `echo '${lab.host(h).address} ${DOMAIN} auth.${DOMAIN}' >> /etc/hosts`)));
      await j.waitForRepo();
      if (generation === 'current') await Promise.all([main, ...shards].map((h) => j.installMainCurrent(h, opts.firewall ?? true)));
      else await j.installMain(opts.firewall ?? true);
      return j;
    } catch (e) {
      await lab.stop();
      throw e;
    }
  }

  private async waitForRepo(): Promise<void> {
    // Generous: on a loaded 2-core machine the HTTP server may take a while to start.
    const deadline = Date.now() + 60_000;
    let last = '';
    while (Date.now() < deadline) {
      const r = await this.lab.exec(this.main, `curl -fsS ${REPO_URL}stable/Release >/dev/null`);
      if (r.code === 0) return;
      last = r.stderr.trim();
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`the lab apt repository (${REPO_URL}stable/Release, from ${this.main}) did not answer within 60 s; last error: ${last}`);
  }

  private async sh(host: string, script: string): Promise<string> {
    const r = await this.lab.exec(host, `set -e\n${script}`);
    if (r.code !== 0) throw new Error(`on ${host}: ${script.split('\n')[0]}...: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** A default legacy Jitsi Meet installation on the main server. */
  private async installMain(firewall: boolean): Promise<void> {
    const site = (await readFile(path.join(FIXTURES, 'prosody-site.cfg.lua'), 'utf8')).replaceAll('@DOMAIN@', DOMAIN);
    await this.sh(
      this.main,
      `
export DEBIAN_FRONTEND=noninteractive
curl -fsS ${REPO_URL}jitsi-key.gpg.key -o ${KEYRING}
echo 'deb [signed-by=${KEYRING}] ${REPO_URL} stable/' > /etc/apt/sources.list.d/jitsi-stable.list
apt-get update -q >/dev/null
echo 'jitsi-videobridge jitsi-videobridge/jvb-hostname string ${DOMAIN}' | debconf-set-selections
apt-get install -y -q jitsi-videobridge jicofo >/dev/null
# Debian 12's init script looks for lua5.2 while prosody runs as lua5.4 (no systemd here).
sed -i 's/lua5\\.2/lua5.4/g' /etc/init.d/prosody
`,
    );
    const focus = /^JICOFO_SECRET=(.*)$/m.exec(await this.sh(this.main, 'cat /etc/jitsi/jicofo/config'))![1];
    await this.lab.exec(this.main, `cat > /etc/prosody/conf.d/${DOMAIN}.cfg.lua`, site.replace('@FOCUS_SECRET@', focus));
    await this.sh(this.main, 'service prosody restart >/dev/null; service nginx start >/dev/null; service jicofo restart >/dev/null; service jitsi-videobridge restart >/dev/null');
    if (firewall) {
      await this.sh(this.main, 'for r in 22/tcp 80/tcp 443/tcp 4443/tcp 10000/udp; do ufw allow $r >/dev/null; done; ufw --force enable >/dev/null');
    }
  }

  /**
   * A current Jitsi Meet installation on the main server, as jitsi-meet's
   * packages leave it: prosody with auth.<domain> (internal_hashed, a
   * self-signed certificate) and the internal.auth.<domain> MUC, the jvb and
   * focus accounts registered, jicofo watching the brewery, and the main
   * server's own jitsi-videobridge2 logged in there.
   */
  private async installMainCurrent(main: string, firewall: boolean): Promise<void> {
    const auth = `auth.${DOMAIN}`;
    await this.sh(
      main,
      `
export DEBIAN_FRONTEND=noninteractive
sed -i 's/lua5\\.2/lua5.4/g' /etc/init.d/prosody
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=${auth} -addext subjectAltName=DNS:${auth} -keyout /etc/prosody/certs/${auth}.key -out /etc/prosody/certs/${auth}.crt 2>/dev/null
chown prosody /etc/prosody/certs/${auth}.key
# As jitsi-meet-prosody does: the main server trusts its own auth certificate (its bridge connects to localhost).
cp /etc/prosody/certs/${auth}.crt /usr/local/share/ca-certificates/${auth}.crt
update-ca-certificates >/dev/null 2>&1
cat > /etc/prosody/conf.d/${DOMAIN}.cfg.lua <<'CFG'
-- Written by the lab as jitsi-meet-prosody (current) writes it, shortened.
VirtualHost "${DOMAIN}"
    authentication = "anonymous"
    c2s_require_encryption = false

VirtualHost "${auth}"
    authentication = "internal_hashed"
    ssl = { key = "/etc/prosody/certs/${auth}.key"; certificate = "/etc/prosody/certs/${auth}.crt" }

Component "internal.${auth}" "muc"
    storage = "memory"
CFG
echo ${DOMAIN} > /etc/jitsi/domain 2>/dev/null || { mkdir -p /etc/jitsi; echo ${DOMAIN} > /etc/jitsi/domain; }
curl -fsS ${REPO_URL}jitsi-key.gpg.key -o ${KEYRING}
echo 'deb [signed-by=${KEYRING}] ${REPO_URL} stable/' > /etc/apt/sources.list.d/jitsi-stable.list
apt-get update -q >/dev/null
echo 'jitsi-videobridge jitsi-videobridge/jvb-hostname string ${DOMAIN}' | debconf-set-selections
apt-get install -y -q jitsi-videobridge2 jicofo >/dev/null
service prosody restart >/dev/null
prosodyctl register jvb ${auth} "$(hocon -i /etc/jitsi/videobridge/jvb.conf -j get videobridge.apis.xmpp-client.configs.shard.PASSWORD | python3 -c 'import json,sys; print(json.load(sys.stdin))')"
prosodyctl register focus ${auth} "$(hocon -i /etc/jitsi/jicofo/jicofo.conf -j get jicofo.xmpp.client.password | python3 -c 'import json,sys; print(json.load(sys.stdin))')"
service nginx start >/dev/null
service jicofo restart >/dev/null
service jitsi-videobridge2 restart >/dev/null
`,
    );
    if (firewall) {
      await this.sh(main, 'for r in 22/tcp 80/tcp 443/tcp 4443/tcp 10000/udp; do ufw allow $r >/dev/null; done; ufw --force enable >/dev/null');
    }
  }

  /** The bridges jicofo sees in the brewery room now (their nicknames), waiting up to `ms` for `want` of them. */
  async breweryOccupants(want?: number | ((seen: string[]) => boolean), ms = 45_000): Promise<string[]> {
    const deadline = Date.now() + ms;
    let seen: string[] = [];
    do {
      seen = (await this.lab.exec(this.main, 'cat /var/lib/jicofo/brewery 2>/dev/null')).stdout.split('\n').filter(Boolean);
      if (want === undefined ? seen.length > 0 : typeof want === 'function' ? want(seen) : seen.length >= want) return seen;
      await new Promise((res) => setTimeout(res, 500));
    } while (Date.now() < deadline);
    return seen;
  }

  /** The inventory of the add-bridge playbook for this lab. */
  inventory(bridges: Record<string, string | undefined>, extra: Record<string, unknown> = {}): string {
    const host = (n: string, vars: Record<string, unknown> = {}) => ({
      ansible_host: this.lab.host(n).address,
      ansible_user: 'root',
      ansible_ssh_private_key_file: this.lab.keyFile,
      ...vars,
    });
    return stringify({
      all: {
        vars: { jitsi_domain: DOMAIN, jitsi_apt_repo: `deb ${REPO_URL} stable/`, jitsi_apt_key_url: `${REPO_URL}jitsi-key.gpg.key`, ...extra },
        children: {
          jitsi_meet: { hosts: Object.fromEntries([this.main, ...this.shards].map((m) => [m, host(m)])) },
          jitsi_bridges: { hosts: Object.fromEntries(Object.entries(bridges).map(([n, sub]) => [n, host(n, sub ? { jvb_subdomain: sub } : {})])) },
        },
      },
    });
  }

  /** The bridges jicofo sees through prosody's pubsub node (waits up to `ms` for `want`). */
  async jicofoSees(want?: number, ms = 45_000): Promise<string[]> {
    const deadline = Date.now() + ms;
    let seen: string[] = [];
    do {
      const r = await this.lab.exec(this.main, 'cat /var/lib/jicofo/bridges 2>/dev/null');
      seen = r.stdout.split('\n').filter(Boolean);
      if (want === undefined || seen.length >= want) return seen;
      await new Promise((res) => setTimeout(res, 500));
    } while (Date.now() < deadline);
    return seen;
  }

  async status(host: string, service: 'jitsi-videobridge' | 'jitsi-videobridge2' | 'jicofo'): Promise<string> {
    return (await this.lab.exec(host, `cat /run/${service}/status 2>/dev/null`)).stdout.trim();
  }

  /**
   * The controller's side, ready for runs: HOME with a known_hosts that trusts
   * every lab host, and a work folder for inventories; returns both.
   */
  async workspace(): Promise<{ home: string; work: string }> {
    const home = await labHome(this.lab);
    await this.lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
    const work = path.join(this.lab.dir, 'work');
    await mkdir(work, { recursive: true });
    return { home, work };
  }

  /** jicofo's /debug on a main server (its REST on 127.0.0.1:8888, read on the host). */
  async jicofoDebug(main = this.main): Promise<Record<string, Record<string, unknown>>> {
    const r = await this.lab.exec(main, 'curl -fsS --max-time 3 http://127.0.0.1:8888/debug');
    if (r.code !== 0) throw new Error(`jicofo's /debug on ${main}: curl exit ${r.code}: ${r.stderr.trim()}`);
    return (JSON.parse(r.stdout) as { bridge_selector: { bridge: Record<string, Record<string, unknown>> } }).bridge_selector.bridge;
  }

  /** Waits until `check` holds for jicofo's bridges on `main`, up to `ms`; returns the last view. */
  async waitForJicofo(check: (bridges: Record<string, Record<string, unknown>>) => boolean, what: string, ms = 45_000, main = this.main): Promise<Record<string, Record<string, unknown>>> {
    const deadline = Date.now() + ms;
    let last: Record<string, Record<string, unknown>> = {};
    for (;;) {
      try {
        last = await this.jicofoDebug(main);
        if (check(last)) return last;
      } catch {
        // jicofo restarting: try again
      }
      if (Date.now() > deadline) throw new Error(`jicofo on ${main} did not show ${what} within ${ms / 1000} s; it shows ${JSON.stringify(last)}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  }

  /** The simulated participants on a bridge (the stand-in reads the number every 0.2 s). */
  async setParticipants(host: string, n: number): Promise<void> {
    await this.sh(host, `mkdir -p /var/lib/jitsi-videobridge2 && echo ${n} > /var/lib/jitsi-videobridge2/participants`);
  }

  /** Rebuilds the lab repository with more jitsi-videobridge2 versions (`2.3-170-1`, `2.3-171-1:broken`), same signing key. */
  async publish(...versions: string[]): Promise<void> {
    await $`bash ${path.join(FIXTURES, 'build-repo.sh')} ${path.join(this.lab.dir, 'repo')} current ${versions}`.quiet();
  }

  stop(): Promise<void> {
    return this.lab.stop();
  }
}
