/**
 * Where a short run's time goes: the bench play, no-change, on one lab host,
 * run `reps` times (median wall clock), then once under --cpu-prof; prints
 * the profile's self time by place (ours, each package, node's own).
 *
 *   node dist/bench/profile-one.js [--hosts 1] [--reps 7]
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { inLab, fleetInLab } from '../test/helpers/lab-cli.ts';
import { BIN, ROOT } from '../test/helpers/cli.ts';
import { Lab } from '../test/lab/lab.ts';
import { benchProject } from './play.ts';
import { bundleModules, sourceOf } from './bundle-map.ts';

interface ProfileNode { id: number; callFrame: { url: string; functionName: string; lineNumber: number } }

function place(node: ProfileNode, marks: [number, string][]): string {
  const { url, functionName: fn } = node.callFrame;
  if (!url) return `(${fn})`;
  const source = sourceOf(node.callFrame, marks);
  if (source.startsWith('dist/src/')) return 'jitsi-fleet (ours, bundled)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg) return pkg[1];
  if (url.includes('/dist/src/')) return 'jitsi-fleet (dist/src)';
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { hosts: { type: 'string', default: '1' }, reps: { type: 'string', default: '7' } } });
  const names = Array.from({ length: Number(values.hosts) }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
  const lab = await Lab.start(names);
  try {
    const { inv, play } = await benchProject(lab, names);
    await Promise.all(names.map((n) => lab.exec(n, 'mkdir -p /etc/bench')));
    const args = ['run', play, '-i', inv, '--output', 'json'];
    const first = await fleetInLab(lab, args);
    if (first.code !== 0) throw new Error(first.stderr || first.stdout.slice(-2000));
    const times: number[] = [];
    for (let i = 0; i < Number(values.reps); i++) {
      const t0 = performance.now();
      await fleetInLab(lab, args);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`no-change run, ${names.length} host(s): median ${times[Math.floor(times.length / 2)].toFixed(0)} ms of ${times.length}`);
    const dir = await mkdtemp(path.join(tmpdir(), 'jf-prof-'));
    // V8 refuses a code cache written without the profiler: a first profiled run writes one, the second is measured.
    await inLab(lab, process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, BIN, ...args]);
    await rm(dir, { recursive: true });
    await inLab(lab, process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, BIN, ...args]);
    const marks = await bundleModules(path.join(ROOT, 'dist', 'bundle', 'cli.cjs'));
    const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'))!;
    const prof = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const per = new Map<string, number>();
    prof.samples.forEach((id, i) => {
      const n = byId.get(id)!;
      const k = place(n, marks);
      per.set(k, (per.get(k) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
    });
    const total = [...per.values()].reduce((a, b) => a + b, 0);
    console.log(`profile: ${total.toFixed(0)} ms sampled`);
    for (const [k, ms] of [...per].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`${ms.toFixed(0).padStart(6)} ms  ${k}`);
  } finally {
    await lab.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
