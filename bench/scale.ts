/**
 * `npm run bench:scale [-- --hosts 200 --forks 5,50]`: the benchmark play on
 * many lab hosts in one run. For subsets of 25%, 50% and 100% of the hosts
 * (--limit), the no-change run's wall time, per forks setting, and the
 * controller's peak RSS (GNU time); the time per added host from the slope;
 * then a CPU profile of the largest no-change run, summed by where the time
 * went (SSH handshakes and crypto, the engine, templating, YAML, the
 * renderer, Node itself). Written to the scale section of bench/RESULTS.md.
 */
import { cpus, totalmem } from 'node:os';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fleetInLab, inLab } from '../test/helpers/lab-cli.ts';
import { BIN, ROOT } from '../test/helpers/cli.ts';
import { Lab } from '../test/lab/lab.ts';
import { benchProject } from './play.ts';
import { bundleModules, sourceOf, type CallFrame } from './bundle-map.ts';

const BEGIN = '<!-- scale:begin -->';
const END = '<!-- scale:end -->';

/** Where a CPU profile's samples fall, by the file of the function sampled. */
function categorize(url: string): string {
  if (!url) return 'Node/V8 (GC, compiling, idle)';
  if (url.includes('node_modules/ssh2') || url.includes('node_modules/cpu-features')) return 'ssh2 (handshakes, crypto, channels)';
  if (url.includes('node_modules/nunjucks') || url.includes('/src/template/')) return 'templating';
  if (url.includes('node_modules/yaml') || url.includes('/src/yaml/')) return 'YAML and schemas';
  if (url.includes('node_modules/listr2') || url.includes('/src/output/')) return 'output (renderers)';
  if (url.includes('/src/engine/') || url.includes('/src/modules/')) return 'engine and modules';
  if (url.includes('/src/connection/')) return 'connections (our side)';
  if (url.startsWith('node:')) return 'Node internals (streams, net, crypto glue)';
  return 'other';
}

async function profileSummary(dir: string): Promise<[string, number][]> {
  const file = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) return [];
  const p = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as { nodes: { id: number; callFrame: CallFrame }[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const marks = await bundleModules(path.join(ROOT, 'dist', 'bundle', 'cli.cjs'));
  const sums = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const k = categorize(frame ? sourceOf(frame, marks) : '');
    sums.set(k, (sums.get(k) ?? 0) + p.timeDeltas[i] / 1000);
  });
  return [...sums].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { hosts: { type: 'string', default: '200' }, forks: { type: 'string', default: '5,50' }, out: { type: 'string', default: path.join(ROOT, 'bench', 'RESULTS.md') } } });
  const n = Number(values.hosts);
  const forksList = String(values.forks).split(',').map(Number);
  const names = Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
  console.log(`scale benchmark: ${n} lab hosts`);
  const t0 = Date.now();
  const lab = await Lab.start(names);
  console.log(`  lab up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  // Each run makes its own connections (what a first run does, handshakes and all): kept connections
  // (connection/persist.ts) would move the handshakes into the background process, out of what is measured here.
  process.env.JITSI_FLEET_PERSIST = '0';
  process.once('SIGINT', () => void lab.stop().then(() => process.exit(130)));
  try {
    const { inv, play } = await benchProject(lab, names);
    await Promise.all(names.map((h) => lab.exec(h, 'mkdir -p /etc/bench')));
    const first = await fleetInLab(lab, ['run', play, '-i', inv, '--forks', '50', '--output', 'json']);
    if (first.code !== 0) throw new Error(`first run failed (exit ${first.code}): ${first.stderr.slice(-2000)}`);
    const rows: string[] = [];
    const slopes: string[] = [];
    for (const forks of forksList) {
      const points: [number, number][] = [];
      for (const k of [Math.round(n / 4), Math.round(n / 2), n]) {
        const limit = names.slice(0, k).join(',');
        const started = Date.now();
        const r = await inLab(lab, '/usr/bin/time', ['-f', 'RSS_KB=%M CPU=%U+%S', process.execPath, BIN, 'run', play, '-i', inv, '--forks', String(forks), '--output', 'json', '--limit', limit]);
        const ms = Date.now() - started;
        if (r.code !== 0) throw new Error(`no-change run at ${k} hosts, forks ${forks}: exit ${r.code}: ${r.stderr.slice(-2000)}`);
        const report = JSON.parse(r.stdout) as { stats: Record<string, { changed: number }>; commands: Record<string, number> };
        const reported = Object.keys(report.stats).length;
        const changed = Object.values(report.stats).reduce((a, s) => a + s.changed, 0);
        const maxCommands = Math.max(...Object.values(report.commands));
        const rss = Number(/RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
        const cpu = /CPU=([\d.]+)\+([\d.]+)/.exec(r.stderr);
        const cpuS = cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN;
        if (reported !== k || changed !== 0) throw new Error(`at ${k} hosts: ${reported} hosts reported, ${changed} changes`);
        points.push([k, ms]);
        rows.push(`| ${k} | ${forks} | ${(ms / 1000).toFixed(2)} s | ${cpuS.toFixed(2)} s | ${rss.toFixed(0)} MB | ${reported} | ${maxCommands} |`);
        console.log(`  ${k} hosts, forks ${forks}: ${(ms / 1000).toFixed(2)} s, cpu ${cpuS.toFixed(2)} s, peak RSS ${rss.toFixed(0)} MB`);
      }
      const [a, b] = [points[0], points[points.length - 1]];
      slopes.push(`forks ${forks}: ${((b[1] - a[1]) / (b[0] - a[0])).toFixed(1)} ms per added host`);
    }
    const profDir = path.join(lab.dir, 'prof');
    await mkdir(profDir, { recursive: true });
    const biggest = Math.max(...forksList);
    await inLab(lab, process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, BIN, 'run', play, '-i', inv, '--forks', String(biggest), '--output', 'json']);
    const prof = await profileSummary(profDir);
    const total = prof.reduce((s, [, v]) => s + v, 0);
    const profRows = prof.map(([k, v]) => `| ${k} | ${v.toFixed(0)} ms | ${((v / total) * 100).toFixed(0)}% |`);
    // The live view's cost: the same no-change run in a terminal (a pseudo-terminal of 50 rows, the
    // default output) against plain lines, CPU time of the whole process, medians of 3 runs each.
    const cpuOf = (text: string) => {
      const m = /CPU=([\d.]+)\+([\d.]+)/.exec(text);
      return m ? Number(m[1]) + Number(m[2]) : NaN;
    };
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const timed = `/usr/bin/time -f 'RSS_KB=%M CPU=%U+%S' ${process.execPath} ${BIN} run ${play} -i ${inv} --forks ${biggest}`;
    const live: number[] = [];
    const plain: number[] = [];
    let screenBytes = 0;
    for (let r = 0; r < 3; r++) {
      const t = await inLab(lab, 'script', ['-qec', `stty rows 50 cols 120; ${timed}`, '/dev/null'], { env: { TERM: 'xterm-256color', CI: 'false' } });
      if (!/RECAP|ok=/.test(t.stdout)) throw new Error(`live-view run: no recap: ${t.stdout.slice(-2000)}`);
      live.push(cpuOf(t.stdout));
      screenBytes = t.stdout.length;
      const pl = await inLab(lab, 'sh', ['-c', `${timed} --output plain`]);
      plain.push(cpuOf(pl.stderr));
    }
    const [liveCpu, plainCpu] = [median(live), median(plain)];
    const viewShare = ((liveCpu - plainCpu) / liveCpu) * 100;
    const section = `${BEGIN}
## Scale: ${n} hosts in one run

Run with \`npm run bench:scale\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}:
${n} lab hosts (Debian 12 containers, real sshd), the benchmark play (20 tasks), no-change runs limited to
the first K hosts; wall clock, the controller's CPU time and peak RSS (GNU time), one SSH connection per host.

| hosts (K) | forks | wall | CPU (user+sys) | peak RSS | hosts in the report | commands per host (max) |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Time per added host (slope from ${Math.round(n / 4)} to ${n} hosts): ${slopes.join('; ')}.

Where the CPU goes (profile of the ${n}-host no-change run at forks ${biggest}, ${total.toFixed(0)} ms sampled):

| where | time | share |
| --- | --- | --- |
${profRows.join('\n')}

The live view at ${n} hosts (what a terminal shows by default: one summary line per play with the hosts still
working, redrawn at most 10 times a second, not a spinner per host), the same no-change run at forks ${biggest}
in a pseudo-terminal of 50 rows against \`--output plain\`, CPU time of the whole process, medians of 3 runs:
live view ${liveCpu.toFixed(2)} s, plain ${plainCpu.toFixed(2)} s: ${viewShare < 1 ? `no measurable cost (${viewShare.toFixed(1)}%, within the noise between runs)` : `the view costs ${viewShare.toFixed(1)}% of the run's CPU`}
(${(screenBytes / 1024).toFixed(0)} KiB written to the terminal in the whole run).
${END}`;
    const file = String(values.out);
    const old = await readFile(file, 'utf8').catch(() => '');
    await writeFile(file, old.includes(BEGIN) ? old.replace(new RegExp(`${BEGIN}[\\s\\S]*?${END}`), section) : `${old.trimEnd()}\n\n${section}\n`);
    console.log(`\n${section}\n\nwritten to ${path.relative(process.cwd(), file)}`);
  } finally {
    await lab.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
