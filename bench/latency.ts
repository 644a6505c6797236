/**
 * The bench play over a wide-area round trip: jitsi-fleet and ansible-playbook,
 * no-change runs, on K lab hosts reached directly and through a proxy that
 * delays every chunk by RTT/2 each way (userland: this kernel has no netem).
 * Writes the latency section of bench/RESULTS.md.
 *
 *   npm run bench:latency [-- --hosts 1,10 --rtt 50 --reps 5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fleetInLab, inLab } from '../test/helpers/lab-cli.ts';
import { ROOT } from '../test/helpers/cli.ts';
import { Lab } from '../test/lab/lab.ts';
import { benchProject } from './play.ts';

const BEGIN = '<!-- latency:begin -->';
const END = '<!-- latency:end -->';
const PROXY = path.join(ROOT, 'dist', 'bench', 'delay-proxy.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { hosts: { type: 'string', default: '1,10' }, rtt: { type: 'string', default: '50' }, reps: { type: 'string', default: '5' } } });
  const rtt = Number(values.rtt);
  const reps = Number(values.reps);
  const rows: string[] = [];
  for (const k of String(values.hosts).split(',').map(Number)) {
    const names = Array.from({ length: k }, (_, i) => `w${String(i + 1).padStart(2, '0')}`);
    const lab = await Lab.start(names);
    const proxies: ChildProcess[] = [];
    try {
      const { dir, inv, play } = await benchProject(lab, names);
      await Promise.all(names.map((n) => lab.exec(n, 'rm -rf /etc/bench && mkdir -p /etc/bench')));
      // One proxy per host, on the controller side's loopback (inside the lab's namespace).
      const [ip, ...prefix] = lab.controllerPrefix();
      const far = path.join(dir, 'far.yml');
      let text = await readFile(inv, 'utf8');
      names.forEach((n, i) => {
        const port = 2200 + i;
        proxies.push(spawn(ip, [...prefix, process.execPath, PROXY, String(port), lab.host(n).address, '22', String(rtt / 2)], { stdio: 'ignore' }));
        text = text.replace(`ansible_host: ${lab.host(n).address}\n`, `ansible_host: 127.0.0.1\n          ansible_port: ${port}\n`);
      });
      await writeFile(far, text);
      await new Promise((r) => setTimeout(r, 500));
      await writeFile(path.join(dir, 'ansible.cfg'), `[defaults]\nforks = ${k}\nhost_key_checking = False\ngathering = explicit\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\n`);
      const env = { ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1' };
      const first = await fleetInLab(lab, ['run', play, '-i', inv, '--forks', String(k), '--output', 'json'], { env });
      if (first.code !== 0) throw new Error(`first run failed: ${first.stderr}${first.stdout.slice(-2000)}`);
      for (const [label, inventory] of [['0 ms (direct)', inv], [`${rtt} ms`, far]] as const) {
        const times: Record<string, number[]> = { fleet: [], ansible: [] };
        for (let r = 0; r < reps; r++) {
          for (const tool of r % 2 ? ['ansible', 'fleet'] : ['fleet', 'ansible']) {
            const t0 = performance.now();
            const out =
              tool === 'fleet'
                ? await fleetInLab(lab, ['run', play, '-i', inventory, '--forks', String(k), '--output', 'json'], { env })
                : await inLab(lab, 'ansible-playbook', ['-i', inventory, play], { env, cwd: dir });
            const ms = performance.now() - t0;
            if (out.code !== 0) throw new Error(`${tool} at ${label} failed: ${out.stderr}${out.stdout.slice(-2000)}`);
            if (tool === 'fleet' && Object.values(JSON.parse(out.stdout).stats as Record<string, { changed: number }>).some((s) => s.changed)) throw new Error('the no-change run changed something');
            times[tool].push(ms);
            process.stdout.write(`  K=${k} RTT ${label} ${tool} ${(ms / 1000).toFixed(2)} s\n`);
          }
        }
        const f = median(times.fleet);
        const a = median(times.ansible);
        rows.push(`| ${k} | ${label} | ${(f / 1000).toFixed(2)} s | ${(a / 1000).toFixed(2)} s | ${(a / f).toFixed(1)}x |`);
      }
    } finally {
      for (const p of proxies) p.kill();
      await lab.stop();
    }
  }
  const section = `${BEGIN}
## Over a wide-area round trip

Run with \`npm run bench:latency\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}: the bench
play, no-change runs, each host reached directly and through a proxy in the lab's namespace that holds
every chunk ${rtt / 2} ms each way (bench/delay-proxy.ts; this kernel has no netem), ${reps} runs per tool, medians,
tools alternating. A bridge is usually far from the operator: round trips, not CPU, set the time there.

| hosts (K) | round trip | jitsi-fleet | ansible-playbook | ansible / jitsi-fleet |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

Both tools keep their SSH connections for 60 s after their last use, as each does by default (ansible's
ControlPersist=60s, jitsi-fleet's JITSI_FLEET_PERSIST). Through kept connections jitsi-fleet pays the
round trips of one command per host; a run that makes them (the first through each path, and at 10
hosts every jitsi-fleet run that comes after two ansible-playbook runs, some 100 s, while
ansible-playbook's own runs come back to back) also pays the start of its background process and the
handshakes (started while the playbook is still read, without the 'none' authentication request), so
the medians at 10 hosts mix both kinds. ansible-playbook pays several round trips per task.
${END}`;
  console.log('\n' + section);
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  const old = await readFile(file, 'utf8');
  await writeFile(file, old.includes(BEGIN) ? old.replace(new RegExp(`${BEGIN}[\\s\\S]*?${END}`), section) : `${old.trimEnd()}\n\n${section}\n`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
