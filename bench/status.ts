/**
 * `npm run bench:status`: how long `jitsi-fleet status` takes on a current
 * main server and 10 bridges in the lab (all added by add-bridge.yml first):
 * one SSH connection and one command per host. Medians of 7 runs, the first
 * (cold: new SSH connections, nothing cached) reported apart. Written to the
 * status section of bench/RESULTS.md.
 */
import { cpus } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../test/helpers/cli.ts';
import { fleetInLab } from '../test/helpers/lab-cli.ts';
import { JitsiLab } from '../test/lab/jitsi.ts';

const BEGIN = '<!-- status:begin -->';
const END = '<!-- status:end -->';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { bridges: { type: 'string', default: '10' }, reps: { type: 'string', default: '7' }, out: { type: 'string', default: path.join(ROOT, 'bench', 'RESULTS.md') } } });
  const n = Number(values.bridges);
  const bridges = Array.from({ length: n }, (_, i) => `jvb${i + 2}`);
  console.log(`status benchmark: a main server and ${n} bridges`);
  const j = await JitsiLab.start('meet', bridges, { generation: 'current' });
  process.once('SIGINT', () => void j.stop().then(() => process.exit(130)));
  try {
    const { work } = await j.workspace();
    const inv = path.join(work, 'hosts.yml');
    await writeFile(inv, j.inventory(Object.fromEntries(bridges.map((b) => [b, undefined]))));
    const add = await fleetInLab(j.lab, ['run', path.join(ROOT, 'playbooks', 'add-bridge.yml'), '-i', inv, '--forks', String(n + 1), '--output', 'json']);
    if (add.code !== 0) throw new Error(`add-bridge.yml failed (exit ${add.code}): ${add.stderr.slice(-2000)}`);
    await j.waitForJicofo((b) => Object.values(b).filter((x) => x.operational).length === n + 1, `${n + 1} operational bridges`, 120_000);
    const times: number[] = [];
    for (let r = 0; r < Number(values.reps); r++) {
      const t0 = performance.now();
      const st = await fleetInLab(j.lab, ['status', '-i', inv, '--output', 'json']);
      const ms = performance.now() - t0;
      const doc = JSON.parse(st.stdout) as { ok: boolean; elapsed_ms: number; hosts: unknown[] };
      if (st.code !== 0 || !doc.ok || doc.hosts.length !== n + 1) throw new Error(`status exit ${st.code}: ${st.stdout.slice(0, 2000)}`);
      times.push(ms);
      console.log(`  run ${r + 1}: ${(ms / 1000).toFixed(2)} s (the reads themselves: ${(doc.elapsed_ms / 1000).toFixed(2)} s)`);
    }
    const rest = times.slice(1).sort((a, b) => a - b);
    const median = rest[Math.floor(rest.length / 2)];
    const section = `${BEGIN}
## \`jitsi-fleet status\`

Run with \`npm run bench:status\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}: a current main
server and ${n} bridges in the lab, all added by add-bridge.yml, every bridge operational in jicofo's view.
Whole command, wall clock (process start to exit, SSH handshakes included), ${times.length} runs:

| hosts | first run | median of the others | max |
| --- | --- | --- | --- |
| ${n + 1} (1 main, ${n} bridges) | ${(times[0] / 1000).toFixed(2)} s | ${(median / 1000).toFixed(2)} s | ${(Math.max(...times) / 1000).toFixed(2)} s |

One SSH connection and one command per host, all hosts at once; jicofo's and the bridges' REST
interfaces read on the hosts themselves.
${END}`;
    const file = String(values.out);
    const old = await readFile(file, 'utf8').catch(() => '');
    const next = old.includes(BEGIN) ? old.replace(new RegExp(`${BEGIN}[\\s\\S]*?${END}`), section) : `${old.trimEnd()}\n\n${section}\n`;
    await writeFile(file, next);
    console.log(`\n${section}\n\nwritten to ${path.relative(process.cwd(), file)}`);
  } finally {
    await j.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
