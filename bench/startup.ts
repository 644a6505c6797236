/**
 * Start-up: `node -e 0`, `jitsi-fleet --version` and `jitsi-fleet validate
 * playbooks/add-bridge.yml`, each run `reps` times as whole processes,
 * medians of wall-clock time: validate repeated (its kept verdict), first
 * (none kept: it checks, records, keeps), checking anew (--no-cache), without
 * the code cache, unbundled (dist/src). Its own verdict cache folder, so the
 * user's is not touched. Writes its section of bench/RESULTS.md.
 *
 *   npm run bench:startup [-- --reps 15]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, ROOT } from '../test/helpers/cli.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type Env = Record<string, string> | ((rep: number) => Record<string, string>);

function once(args: string[], env: Record<string, string>): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, XDG_CACHE_HOME: cacheHome, ...env } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Medians of `reps` rounds, each round running every command once in turn (a busy moment of the machine hits them all). */
function timeAll(cmds: [args: string[], env?: Env][], reps: number): number[] {
  const ms: number[][] = cmds.map(() => []);
  for (let i = 0; i < reps; i++) {
    cmds.forEach(([args, env = {}], k) => ms[k].push(once(args, typeof env === 'function' ? env(i) : env)));
  }
  return ms.map(median);
}

const time = (args: string[], reps: number, env: Env = {}) => timeAll([[args, env]], reps)[0];

let cacheHome = '';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '15' } } });
  const reps = Number(values.reps);
  cacheHome = await mkdtemp(path.join(tmpdir(), 'jf-bench-cache-'));
  try {
    await measure(reps);
  } finally {
    await rm(cacheHome, { recursive: true, force: true });
  }
}

async function measure(reps: number): Promise<void> {
  const validateArgs = [BIN, 'validate', 'playbooks/add-bridge.yml'];
  // The first run writes the code cache (bin/jitsi-fleet.js) and keeps its verdict; the medians are of runs after it.
  time(validateArgs, 1);
  const [node, version, repeated, first, validate, uncached] = timeAll(
    [
      [['-e', '0']],
      [[BIN, '--version']],
      [validateArgs],
      [validateArgs, (rep) => ({ XDG_CACHE_HOME: path.join(cacheHome, `first-${rep}`) })],
      [[...validateArgs, '--no-cache']],
      [[...validateArgs, '--no-cache'], { JITSI_FLEET_CODE_CACHE: '0' }],
    ],
    reps,
  );
  const keptDir = path.join(cacheHome, 'jitsi-fleet', 'validate');
  const [keptFile] = (await readdir(keptDir)).filter((f) => f.endsWith('.json'));
  const kept = JSON.parse(await readFile(path.join(keptDir, keptFile), 'utf8')) as { inputs: unknown[]; env: object };
  const inputs = kept.inputs.length + Object.keys(kept.env).length;
  // The unbundled CLI: the bin falls back to dist/src when it is newer than the bundle.
  const compiled = path.join(ROOT, 'dist', 'src', 'cli.js');
  const bundle = path.join(ROOT, 'dist', 'bundle', 'cli.cjs');
  const now = new Date();
  await utimes(compiled, now, new Date(now.getTime() + 60_000));
  let unbundled: number;
  try {
    unbundled = time([...validateArgs, '--no-cache'], reps);
  } finally {
    await utimes(compiled, now, now);
    await utimes(bundle, now, new Date(now.getTime() + 1000));
  }
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  const x = (ms: number) => `${(ms / node).toFixed(2)}x`;
  const section = `<!-- startup:begin -->
## Start-up

Run with \`npm run bench:startup\` on ${now.toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}: whole processes,
median of ${reps} runs each, wall clock; the first six rows measured in turns (one run of each, ${reps} times).

| command | time | against \`node -e 0\` |
| --- | --- | --- |
| \`node -e 0\` | ${f(node)} | 1.00x |
| \`jitsi-fleet --version\` | ${f(version)} | ${x(version)} |
| \`jitsi-fleet validate playbooks/add-bridge.yml\`, repeated (files unchanged: its kept verdict) | ${f(repeated)} | ${x(repeated)} |
| the same, first (no verdict kept: checks, records what it read, keeps) | ${f(first)} | ${x(first)} |
| the same, checking anew (\`--no-cache\`; bundled, with its code cache) | ${f(validate)} | ${x(validate)} |
| the same, checking anew without the code cache | ${f(uncached)} | ${x(uncached)} |
| the same, checking anew, unbundled (dist/src) | ${f(unbundled)} | ${x(unbundled)} |

Checking anew, \`validate\` reads and checks the whole playbook (3 plays, its task files and templates:
YAML, JSON Schemas compiled at build time, every template parsed); it is work, not only loading. The
bundle is one CommonJS file (ssh2 included) that bin/jitsi-fleet.js loads through a V8 code cache
written by the first run of each command (Node 20 has no module.enableCompileCache). Repeated over
unchanged files, it reads again each of the ${inputs} files, folders and variables the first run
read, finds them as they were, and prints the first run's answer without loading the CLI (README,
"validate's verdict cache").
<!-- startup:end -->`;
  console.log(section);
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  const old = await readFile(file, 'utf8');
  const next = /<!-- startup:begin -->[\s\S]*?<!-- startup:end -->/.test(old)
    ? old.replace(/<!-- startup:begin -->[\s\S]*?<!-- startup:end -->/, section)
    : `${old.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
