/**
 * ansible-core's integration targets (stable-2.14) on two fresh lab hosts: one
 * run by ansible-playbook, one by jitsi-fleet, the same role bytes. Prints the
 * table of assertions that hold under each (README, "Ansible's own tests"),
 * and checks that
 *  - no assertion holds under jitsi-fleet that fails under ansible-playbook
 *    (a false pass would mean we compute something else);
 *  - each target keeps at least the count it reached when the floor was set
 *    (test/fixtures/ansible-targets/floor.json), so what works stays working.
 * ANSIBLE_TARGETS=a,b runs only those; ANSIBLE_TARGETS_TABLE=FILE writes the table there
 * (and each run's output beside it).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';
import { fleetInLab, inLab, labHome } from '../helpers/lab-cli.ts';
import { Lab, labOrSkip } from '../helpers/lab-suite.ts';
import { fleetStop, harnessPlaybook, prepareTarget, tallyAnsible, tallyFleet, targetNames } from './ansible-targets.ts';

const skip = await labOrSkip();
const FLOOR = path.join(ROOT, 'test', 'fixtures', 'ansible-targets', 'floor.json');
let lab: Lab;
/** Targets run three at a time, each worker on its own pair of hosts: ansible-playbook mostly waits on its SSH round trips. */
const WORKERS = [1, 2, 3];

interface Row {
  target: string;
  marked: number;
  ansible: number;
  fleet: number;
  both: number;
  falsePass: string[];
  note: string;
  seconds: { ansible: number; fleet: number };
}

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = Date.now();
  const r = await f();
  return [r, (Date.now() - t0) / 1000];
};

if (!skip) {
  setup(test, async () => {
    lab = await Lab.start(WORKERS.flatMap((w) => [`ta${w}`, `tj${w}`]));
    await labHome(lab);
    await lab.trustAllHosts(path.join(lab.dir, 'home', '.ssh', 'known_hosts'));
  });

  test.after(async () => {
    await lab?.stop();
  });

  test('ansible-core integration targets: assertions that hold under ansible-playbook 2.14 and jitsi-fleet', async () => {
    const only = process.env.ANSIBLE_TARGETS?.split(',').filter(Boolean);
    const names = (await targetNames()).filter((n) => !only || only.includes(n));
    const work = path.join(lab.dir, 'targets');
    await mkdir(work, { recursive: true });
    const inv = path.join(work, 'hosts.yml');
    // As ansible-test's inventory: the interpreter named.
    await writeFile(inv, lab.inventory({ targets: WORKERS.flatMap((w) => [`ta${w}`, `tj${w}`]) }, {}, { ansible_python_interpreter: '/usr/bin/python3' }));
    const cfg = path.join(work, 'ansible.cfg');
    await writeFile(cfg, '[defaults]\nhost_key_checking = False\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\nstdout_callback = json\n\n[ssh_connection]\npipelining = True\n');
    const rows: Row[] = [];
    // The long ones first (ansible-playbook: copy and file take 1.5 min each), so the workers end together.
    const SLOW = ['copy', 'file', 'lineinfile', 'loop-until', 'wait_for', 'command_shell', 'user'];
    const rank = (n: string) => (SLOW.includes(n) ? SLOW.indexOf(n) : SLOW.length);
    const queue = [...names].sort((x, y) => rank(x) - rank(y));
    const runTarget = async (name: string, w: number): Promise<Row> => {
      const [ta, tj] = [`ta${w}`, `tj${w}`];
      // One copy of the target per tool: some targets write into their own files/ folder on the controller (delegate_to: localhost).
      const dir = path.join(work, name);
      const dirJ = path.join(work, `${name}.jf`);
      const base = `/root/targets/${name}`;
      const [marked] = await Promise.all([prepareTarget(name, dir), prepareTarget(name, dirJ)]);
      for (const d of [dir, dirJ]) {
        await writeFile(path.join(d, 'play.yml'), harnessPlaybook(name, base));
        // ansible-test runs a target on "localhost" (its host_vars) with OUTPUT_DIR in the environment.
        const hv = await readFile(path.join(d, 'roles', name, 'host_vars', 'localhost'), 'utf8').catch(() => undefined);
        if (hv !== undefined) {
          await mkdir(path.join(d, 'host_vars'), { recursive: true });
          for (const h of [ta, tj]) await writeFile(path.join(d, 'host_vars', h), hv);
        }
      }
      for (const h of [ta, tj]) await lab.exec(h, `mkdir -p ${base}/output ${base}/tmp`);
      const env = { OUTPUT_DIR: `${base}/output` };
      const [[a, at], [f, ft]] = await Promise.all([
        timed(() => inLab(lab, 'timeout', ['600', 'ansible-playbook', '-i', inv, '-l', ta, 'play.yml'], { cwd: dir, env: { ...env, ANSIBLE_CONFIG: cfg, ANSIBLE_NOCOLOR: '1' } })),
        // Both in the target's folder: relative paths on the controller (delegate_to: localhost) land there, as ansible-test runs them.
        timed(() => fleetInLab(lab, ['run', path.join(dirJ, 'play.yml'), '-i', inv, '-l', tj, '--output', 'json'], { env, cwd: dirJ })),
      ]);
      const keep = process.env.ANSIBLE_TARGETS_TABLE && path.dirname(process.env.ANSIBLE_TARGETS_TABLE);
      if (keep) {
        await writeFile(path.join(keep, `${name}.ansible.out`), a.stdout + a.stderr);
        await writeFile(path.join(keep, `${name}.fleet.out`), f.stdout + f.stderr);
      }
      const tA = tallyAnsible(a.stdout, ta);
      const tF = tallyFleet(f.stdout, tj);
      const both = [...tF.held].filter((n) => tA.held.has(n)).length;
      const falsePass = [...tF.held].filter((n) => tA.failed.has(n));
      const row = { target: name, marked, ansible: tA.held.size, fleet: tF.held.size, both, falsePass, note: fleetStop(f.stdout, f.stderr, tj), seconds: { ansible: at, fleet: ft } };
      process.stdout.write(`  ${name}: ${row.ansible} under ansible-playbook (${at.toFixed(1)} s), ${row.fleet} under jitsi-fleet (${ft.toFixed(1)} s), both ${both}${row.note ? ` — ${row.note}` : ''}\n`);
      return row;
    };
    await Promise.all(
      WORKERS.map(async (w) => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) rows.push(await runTarget(name, w));
      }),
    );
    rows.sort((x, y) => x.target.localeCompare(y.target));
    const table = markdownTable(rows);
    process.stdout.write('\n' + table + '\n');
    if (process.env.ANSIBLE_TARGETS_TABLE) await writeFile(process.env.ANSIBLE_TARGETS_TABLE, table + '\n' + JSON.stringify(rows, null, 1) + '\n');
    const floor: Record<string, number> = JSON.parse(await readFile(FLOOR, 'utf8').catch(() => '{}'));
    const problems = rows.flatMap((r) => [
      ...r.falsePass.map((n) => `${n} holds under jitsi-fleet but fails under ansible-playbook`),
      ...(r.fleet < (floor[r.target] ?? 0) ? [`${r.target}: ${r.fleet} assertions hold under jitsi-fleet, fewer than the ${floor[r.target]} recorded in floor.json${r.note ? ` (${r.note})` : ''}`] : []),
    ]);
    assert.equal(problems, []);
    assert.ok(rows.some((r) => r.ansible > 0), 'ansible-playbook ran the targets');
  });
} else {
  test('lab unavailable', () => {});
}

function markdownTable(rows: Row[]): string {
  const sum = (k: 'marked' | 'ansible' | 'fleet' | 'both') => rows.reduce((s, r) => s + r[k], 0);
  const lines = [
    '| target | assertions | hold under ansible-playbook 2.14 | hold under jitsi-fleet | where jitsi-fleet stops |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.target} | ${r.marked} | ${r.ansible} | ${r.fleet} | ${r.note.replace(/\|/g, '\\|').slice(0, 160)} |`),
    `| **all ${rows.length}** | ${sum('marked')} | ${sum('ansible')} | ${sum('fleet')} | |`,
  ];
  return lines.join('\n');
}

test.run();
