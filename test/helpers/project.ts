/** A throwaway project folder: a local-connection inventory, playbooks, and a scratch area for files. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type CliResult } from './cli.ts';

export class Project {
  private constructor(readonly dir: string) {}

  static async create(hosts = ['h1', 'h2', 'h3'], extraInventory = ''): Promise<Project> {
    const dir = await mkdtemp(path.join(tmpdir(), 'jf-test-'));
    const p = new Project(dir);
    await mkdir(p.files, { recursive: true });
    const lines = hosts.map((h) => `    ${h}: { ansible_connection: local }`).join('\n');
    await writeFile(path.join(dir, 'hosts.yml'), `all:\n  vars:\n    files: ${p.files}\n  hosts:\n${lines}\n${extraInventory}`);
    return p;
  }

  get files(): string {
    return path.join(this.dir, 'files-area');
  }

  async write(name: string, text: string): Promise<string> {
    const full = path.join(this.dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
    return full;
  }

  async read(name: string): Promise<string | null> {
    return readFile(path.join(this.files, name), 'utf8').catch(() => null);
  }

  /** Runs the CLI (`run` by default) with the project's inventory. */
  async run(playbook: string, args: string[] = [], command = 'run'): Promise<CliResult> {
    return runCli([command, path.join(this.dir, playbook), '-i', path.join(this.dir, 'hosts.yml'), ...args]);
  }

  /** Runs with --output json and parses the report. */
  async json(playbook: string, args: string[] = [], command = 'run'): Promise<{ code: number; report: any; stderr: string }> {
    const res = await this.run(playbook, [...args, '--output', 'json'], command);
    let report: any;
    try {
      report = JSON.parse(res.stdout);
    } catch {
      throw new Error(`no JSON report (exit ${res.code}): ${res.stdout}\n${res.stderr}`);
    }
    return { code: res.code, report, stderr: res.stderr };
  }

  /** sha256 of every file under the scratch area, with modes. */
  async checksums(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) await walk(full);
        else out[path.relative(this.files, full)] = createHash('sha256').update(await readFile(full)).digest('hex') + ' ' + (await stat(full)).mode.toString(8);
      }
    };
    await walk(this.files);
    return out;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Status of one task (by name) on one host in a JSON report. */
export function statusOf(report: any, task: string, host: string): string | undefined {
  for (const play of report.plays) for (const t of play.tasks) if (t.name === task && t.hosts[host]) return t.hosts[host].status;
  return undefined;
}

export function hostResult(report: any, task: string, host: string): any {
  for (const play of report.plays) for (const t of play.tasks) if (t.name === task && t.hosts[host]) return t.hosts[host];
  return undefined;
}

export function taskNames(report: any): string[] {
  return report.plays.flatMap((p: any) => p.tasks.map((t: any) => t.name));
}
