/** The benchmark's playbook: 20 lineinfile/blockinfile/copy tasks over 6 files under /etc/bench. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { labHome } from '../test/helpers/lab-cli.ts';
import type { Lab } from '../test/lab/lab.ts';

const FILES = ['jvb.conf', 'sip-communicator.properties', 'prosody.cfg.lua', 'jicofo.conf', 'nginx-site.conf', 'limits.conf'];

export function playbook(): string {
  const tasks: Record<string, unknown>[] = [];
  for (const f of FILES) {
    tasks.push({ name: `base ${f}`, copy: { dest: `/etc/bench/${f}`, content: `# ${f}\nkey_a=old\nkey_b=old\n`, force: false } });
  }
  const edits: [string, string, string][] = [
    ['jvb.conf', '^JVB_OPTS=', 'JVB_OPTS="--apis=rest,xmpp --subdomain={{ inventory_hostname }}"'],
    ['jvb.conf', '^JVB_HOST=', 'JVB_HOST=meet.example.com'],
    ['sip-communicator.properties', '^org.jitsi.videobridge.ENABLE_STATISTICS=', 'org.jitsi.videobridge.ENABLE_STATISTICS=true'],
    ['sip-communicator.properties', '^org.jitsi.videobridge.STATISTICS_TRANSPORT=', 'org.jitsi.videobridge.STATISTICS_TRANSPORT=pubsub'],
    ['sip-communicator.properties', '^org.jitsi.videobridge.PUBSUB_NODE=', 'org.jitsi.videobridge.PUBSUB_NODE=sharedStatsNode'],
    ['prosody.cfg.lua', '^component_ports', 'component_ports = { 5347 }'],
    ['jicofo.conf', '^JICOFO_HOST=', 'JICOFO_HOST=meet.example.com'],
    ['nginx-site.conf', '^key_a=', 'key_a=new'],
    ['limits.conf', '^key_b=', 'key_b=new'],
    ['limits.conf', '^nofile', 'nofile 65000'],
  ];
  for (const [f, re, line] of edits) tasks.push({ name: `line ${re} in ${f}`, lineinfile: { path: `/etc/bench/${f}`, regexp: re, line } });
  const blocks: [string, string][] = [
    ['prosody.cfg.lua', 'Component "jvb.meet.example.com"\n    component_secret = "s3cr3t"'],
    ['jicofo.conf', 'jicofo {\n  bridge { brewery-jid = "jvbbrewery@internal.auth.meet.example.com" }\n}'],
    ['nginx-site.conf', 'location /colibri-ws/ {\n  proxy_pass http://127.0.0.1:9090;\n}'],
    ['limits.conf', '* soft nofile 65000\n* hard nofile 65000'],
  ];
  for (const [f, block] of blocks) tasks.push({ name: `block in ${f}`, blockinfile: { path: `/etc/bench/${f}`, block } });
  return stringify([{ name: 'bench', hosts: 'bench', gather_facts: false, tasks }]);
}

/** The controller's side of a benchmark lab: known_hosts trusting every host, the inventory (group bench) and the play. */
export async function benchProject(lab: Lab, names: string[]): Promise<{ dir: string; inv: string; play: string }> {
  const home = await labHome(lab);
  await lab.trustAllHosts(path.join(home, '.ssh', 'known_hosts'));
  const dir = path.join(lab.dir, 'bench');
  await mkdir(dir, { recursive: true });
  const inv = path.join(dir, 'hosts.yml');
  const play = path.join(dir, 'play.yml');
  await writeFile(inv, lab.inventory({ bench: names }));
  await writeFile(play, playbook());
  return { dir, inv, play };
}
