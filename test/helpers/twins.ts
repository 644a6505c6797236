/**
 * One local project in two copies under a temporary folder, `ansible/` and
 * `fleet/` (each with its play.yml), run on localhost by ansible-playbook and
 * by jitsi-fleet: the differential tests compare what each leaves behind.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { ANSIBLE_ENV, runCli, runCommand } from './cli.ts';

/** Makes the two copies with `prepare` (given each copy's folder); returns the temporary folder. */
export async function twinProject(prefix: string, prepare: (dir: string) => Promise<void>): Promise<string> {
  const work = await mkdtemp(path.join(tmpdir(), prefix));
  await writeFile(path.join(work, 'hosts.ini'), 'localhost ansible_connection=local\n');
  await prepare(path.join(work, 'ansible'));
  await prepare(path.join(work, 'fleet'));
  return work;
}

/** Runs each copy's play.yml with its tool; both must succeed. Returns both JSON reports. */
export async function runTwins(work: string): Promise<{ a: any; j: any }> {
  return runBoth(path.join(work, 'hosts.ini'), path.join(work, 'ansible', 'play.yml'), path.join(work, 'fleet', 'play.yml'));
}

/** Runs a playbook with ansible-playbook and one with jitsi-fleet (the same file unless told), on one inventory; both must succeed. */
export async function runBoth(inv: string, playA: string, playJ = playA): Promise<{ a: any; j: any }> {
  const a = await runCommand('ansible-playbook', ['-i', inv, playA], { env: { ...ANSIBLE_ENV, ANSIBLE_STDOUT_CALLBACK: 'json' } });
  assert.is(a.code, 0, a.stdout.slice(-3000) + a.stderr);
  const j = await runCli(['run', playJ, '-i', inv, '--output', 'json']);
  assert.is(j.code, 0, j.stdout.slice(-3000) + j.stderr);
  return { a: JSON.parse(a.stdout.slice(a.stdout.indexOf('{'))), j: JSON.parse(j.stdout) };
}

/** The messages of the tasks named "show: ...", in order, from either tool's JSON report. */
export function shown(report: any, tool: 'ansible' | 'fleet'): string[] {
  const rows: string[] = [];
  for (const play of report.plays)
    for (const t of play.tasks) {
      const name = tool === 'ansible' ? t.task.name : t.name;
      if (String(name).startsWith('show:')) rows.push(`${name} => ${t.hosts.localhost.msg}`);
    }
  return rows;
}
