/**
 * jitsi-fleet against ansible-playbook on lab hosts over real SSH.
 *
 *   npm run bench [-- --hosts 1,10,30 --reps 3]
 *
 * For each K: one playbook of 20 lineinfile/blockinfile/copy tasks over 6
 * files, run as a first run (files absent), a no-change run and a check run,
 * by each tool on the same inventory, alternating the tools, `reps` times.
 * Prints medians and ratios, and writes bench/RESULTS.md.
 */
import { cpus, totalmem } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fleetInLab, inLab } from '../test/helpers/lab-cli.ts';
import { ROOT, runCommand } from '../test/helpers/cli.ts';
import { Lab } from '../test/lab/lab.ts';
import { benchProject } from './play.ts';

/** The failed results of a run, for the error message. */
function failures(tool: Tool, stdout: string): string {
  if (tool !== 'jitsi-fleet') return stdout.slice(-3000);
  try {
    const report = JSON.parse(stdout);
    const lines: string[] = [];
    for (const play of report.plays) for (const t of play.tasks) for (const [h, r] of Object.entries<any>(t.hosts)) if (r.status === 'failed') lines.push(`${h}: ${t.name}: ${r.msg}`);
    for (const [h, m] of Object.entries(report.unreachable)) lines.push(`${h}: unreachable: ${m}`);
    return lines.join('\n');
  } catch {
    return stdout.slice(-3000);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

type Tool = 'jitsi-fleet' | 'ansible-playbook';
type Case = 'first run' | 'no change' | 'check';

async function timed(fn: () => Promise<{ code: number; stdout: string; stderr: string }>): Promise<{ ms: number; out: { code: number; stdout: string; stderr: string } }> {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { hosts: { type: 'string', default: '1,10,30' }, reps: { type: 'string', default: '3' }, out: { type: 'string', default: path.join(ROOT, 'bench', 'RESULTS.md') } } });
  const sizes = String(values.hosts).split(',').map(Number);
  const reps = Number(values.reps);
  const rows: string[] = [];
  const commandRows: string[] = [];
  console.log(`benchmark: hosts ${sizes.join(', ')}, ${reps} repetitions, tools alternating`);
  for (const k of sizes) {
    const names = Array.from({ length: k }, (_, i) => `b${String(i + 1).padStart(2, '0')}`);
    const lab = await Lab.start(names);
    const stop = async () => lab.stop();
    process.once('SIGINT', () => void stop().then(() => process.exit(130)));
    try {
      const { dir, inv, play } = await benchProject(lab, names);
      await writeFile(path.join(dir, 'ansible.cfg'), `[defaults]\nforks = ${k}\nhost_key_checking = False\ngathering = explicit\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\n`);
      const env = { ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1' };
      const run = (tool: Tool, check: boolean) =>
        tool === 'jitsi-fleet'
          ? fleetInLab(lab, ['run', play, '-i', inv, '--forks', String(k), '--output', 'json', ...(check ? ['--check'] : [])], { env: { ANSIBLE_HOST_KEY_CHECKING: 'False' } })
          : inLab(lab, 'ansible-playbook', ['-i', inv, play, ...(check ? ['--check'] : [])], { env, cwd: dir });
      const reset = async () => {
        await Promise.all(names.map((n) => lab.exec(n, 'rm -rf /etc/bench && mkdir -p /etc/bench')));
      };
      const times: Record<Tool, Record<Case, number[]>> = {
        'jitsi-fleet': { 'first run': [], 'no change': [], check: [] },
        'ansible-playbook': { 'first run': [], 'no change': [], check: [] },
      };
      let commands: number[] = [];
      for (let r = 0; r < reps; r++) {
        const order: Tool[] = r % 2 === 0 ? ['jitsi-fleet', 'ansible-playbook'] : ['ansible-playbook', 'jitsi-fleet'];
        for (const tool of order) {
          await reset();
          for (const c of ['first run', 'no change', 'check'] as Case[]) {
            const { ms, out } = await timed(() => run(tool, c === 'check'));
            if (out.code !== 0) throw new Error(`${tool} ${c} on ${k} hosts failed (exit ${out.code}):\n${failures(tool, out.stdout)}\n${out.stderr.slice(-2000)}`);
            times[tool][c].push(ms);
            if (tool === 'jitsi-fleet' && c === 'no change') {
              const report = JSON.parse(out.stdout);
              commands = Object.values(report.commands as Record<string, number>);
              const changed = Object.values(report.stats as Record<string, { changed: number }>).reduce((n, s) => n + s.changed, 0);
              if (changed !== 0) throw new Error(`the no-change run changed ${changed} things`);
            }
            process.stdout.write(`  K=${k} rep ${r + 1} ${tool.padEnd(16)} ${c.padEnd(9)} ${(ms / 1000).toFixed(2)} s\n`);
          }
        }
      }
      for (const c of ['first run', 'no change', 'check'] as Case[]) {
        const f = median(times['jitsi-fleet'][c]);
        const a = median(times['ansible-playbook'][c]);
        rows.push(`| ${k} | ${c} | ${(f / 1000).toFixed(2)} s | ${(a / 1000).toFixed(2)} s | ${(a / f).toFixed(1)}x |`);
      }
      commandRows.push(`| ${k} | ${Math.max(...commands)} | ${commands.length} |`);
    } finally {
      await stop();
    }
  }
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const table = ['| hosts (K) | case | jitsi-fleet (median) | ansible-playbook (median) | ansible / jitsi-fleet |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
  const cmdTable = ['| hosts (K) | commands per host, no-change play (max) | hosts in the report |', '| --- | --- | --- |', ...commandRows].join('\n');
  console.log('\n' + table + '\n\n' + cmdTable);
  const ansibleVersion = (await runCommand('ansible-playbook', ['--version']).catch(() => ({ stdout: '' }))).stdout.split('\n')[0];
  const doc = `# Benchmark results

Run with \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, on this machine: ${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${ansibleVersion || 'ansible-playbook'}.

Each K: lab hosts (Debian 12 containers with real sshd, on one machine), one playbook of
20 tasks (6 copy, 10 lineinfile, 4 blockinfile) over 6 files. Cases: first run (files
absent), no-change run, check run. Both tools on the same inventory and playbook,
ansible with \`pipelining = True\`, \`forks = K\`, no fact gathering, host key checking
off; the tools alternate, ${reps} repetitions, medians of wall-clock time. Each tool as it
comes: both keep their SSH connections between runs for 60 s (ansible's ssh connection with
its default \`ControlPersist=60s\`, jitsi-fleet's \`JITSI_FLEET_PERSIST\` default), so each
repetition's first run connects and its no-change and check runs use the kept connections.

${table}

jitsi-fleet's JSON report counts the commands it sent to each host over its one SSH
connection per host (the whole no-change play reads every file it needs in one command,
which starts three programs on the host however many files it reads):

${cmdTable}
`;
  // Only this part is rewritten: from the first marked section on (notes on these figures, bench:status,
  // bench:scale, bench:startup and the notes between them), the file is kept as it is.
  const old = await readFile(String(values.out), 'utf8').catch(() => '');
  const rest = old.search(/<!-- [a-z-]+:begin -->/);
  await writeFile(String(values.out), rest >= 0 ? `${doc}\n${old.slice(rest)}` : doc);
  console.log(`\nwritten to ${path.relative(process.cwd(), String(values.out))}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
