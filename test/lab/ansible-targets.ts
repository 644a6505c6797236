/**
 * ansible-core's own integration targets (test/fixtures/ansible-targets,
 * vendored from the stable-2.14 branch) run as roles on a lab host, once by
 * ansible-playbook and once by jitsi-fleet: how many of their assertions hold
 * under each.
 *
 * Each `assert` task of a target is split into one task per condition, named
 * `ASSERTION <file>:<line>#<n>`, with `ignore_errors: true`, so a failed
 * assertion does not hide the ones after it. An assertion holds when its task
 * ran at least once and never failed (skipped ones do not count). Assert tasks
 * that are themselves under test (register, failed_when, ignore_errors) are
 * left alone and not counted. The targets' dependencies (setup_remote_tmp_dir,
 * prepare_tests, ...) are replaced by the variables they set: `output_dir` and
 * `remote_tmp_dir`, directories made before each run.
 */
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { ROOT } from '../helpers/cli.ts';

export const TARGETS_DIR = path.join(ROOT, 'test', 'fixtures', 'ansible-targets', 'targets');
export const MARK = 'ASSERTION ';

export async function targetNames(): Promise<string[]> {
  return (await readdir(TARGETS_DIR)).sort();
}

const ASSERT_KEYS = ['assert', 'ansible.builtin.assert'];
const BLOCK_KEYS = ['block', 'rescue', 'always'];
const UNDER_TEST = ['register', 'failed_when', 'ignore_errors'];

function lineOf(node: Node, text: string): number {
  const at = node.range?.[0] ?? 0;
  return text.slice(0, at).split('\n').length;
}

/** Splits the assert tasks of one task file; returns the new text and how many assertions it marked. */
export function splitAsserts(text: string, file: string): { text: string; marked: number } {
  // YAML 1.1 as Ansible reads it: `mode: 0777` stays the octal number it is (1.2 would write it back as 777).
  const doc = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false, version: '1.1' });
  if (doc.errors.length > 0 || !isSeq(doc.contents)) return { text, marked: 0 };
  let marked = 0;
  const walk = (seq: YAMLSeq) => {
    const out: unknown[] = [];
    for (const item of seq.items) {
      if (!isMap(item)) {
        out.push(item);
        continue;
      }
      for (const k of BLOCK_KEYS) {
        const inner = item.get(k, true);
        if (isSeq(inner)) walk(inner);
      }
      const key = ASSERT_KEYS.find((k) => item.has(k));
      const args = key ? item.get(key, true) : undefined;
      const that = isMap(args) ? args.get('that', true) : undefined;
      if (!key || !isMap(args) || that === undefined || UNDER_TEST.some((k) => item.has(k))) {
        out.push(item);
        continue;
      }
      const conditions: unknown[] = isSeq(that) ? that.items : [that];
      const line = lineOf(item as unknown as Node, text);
      conditions.forEach((c, n) => {
        const task = new YAMLMap();
        task.set('name', `${MARK}${file}:${line}#${n + 1}`);
        for (const pair of item.items) {
          const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          if (k === 'name') continue;
          if (k === key) {
            const a = new YAMLMap();
            for (const p of (args as YAMLMap).items) {
              const ak = isScalar(p.key) ? String(p.key.value) : String(p.key);
              a.set(ak, ak === 'that' ? doc.createNode([c]) : p.value);
            }
            task.set(k, a);
          } else task.set(k, pair.value);
        }
        task.set('ignore_errors', new Scalar(true));
        out.push(task);
        marked++;
      });
    }
    seq.items = out;
  };
  walk(doc.contents);
  return { text: marked > 0 ? doc.toString({ lineWidth: 0 }) : text, marked };
}

/** Copies a target into `dest/roles/<name>`, its assert tasks split; returns the number of marked assertions. */
export async function prepareTarget(name: string, dest: string): Promise<number> {
  const role = path.join(dest, 'roles', name);
  await mkdir(path.dirname(role), { recursive: true });
  await cp(path.join(TARGETS_DIR, name), role, { recursive: true, verbatimSymlinks: true });
  let marked = 0;
  for (const dir of ['tasks', 'handlers']) {
    const files = await readdir(path.join(role, dir), { recursive: true }).catch(() => [] as string[]);
    for (const f of files) {
      if (!/\.ya?ml$/.test(f)) continue;
      const p = path.join(role, dir, f);
      const r = splitAsserts(await readFile(p, 'utf8'), `${name}/${dir}/${f}`);
      if (r.marked > 0) await writeFile(p, r.text);
      marked += r.marked;
    }
  }
  return marked;
}

/** The play that runs a target as a role, with the variables its dependencies would set. */
export function harnessPlaybook(name: string, base: string): string {
  return [
    `- hosts: all`,
    `  gather_facts: true`,
    `  vars:`,
    `    output_dir: ${base}/output`,
    `    remote_tmp_dir: ${base}/tmp`,
    `  roles:`,
    `    - ${name}`,
    ``,
  ].join('\n');
}

export interface Tally {
  /** Names of the marked assertions that held (ran, never failed). */
  held: Set<string>;
  /** Names of the marked assertions that ran and failed at least once. */
  failed: Set<string>;
}

function tally(results: { name: string; failed: boolean; skipped: boolean }[]): Tally {
  const held = new Set<string>();
  const failed = new Set<string>();
  for (const r of results) {
    // Ansible shows a role's tasks as "role : name".
    const at = r.name.indexOf(MARK);
    if (at < 0) continue;
    const name = r.name.slice(at);
    if (r.failed) failed.add(name);
    else if (!r.skipped) held.add(name);
  }
  for (const f of failed) held.delete(f);
  return { held, failed };
}

/** ansible-playbook's json callback output. */
export function tallyAnsible(stdout: string, host: string): Tally {
  const start = stdout.indexOf('{');
  if (start < 0) return { held: new Set(), failed: new Set() };
  const report = JSON.parse(stdout.slice(start));
  const results = (report.plays ?? []).flatMap((p: any) =>
    (p.tasks ?? []).map((t: any) => {
      const h = t.hosts?.[host] ?? {};
      return { name: String(t.task?.name ?? ''), failed: h.failed === true, skipped: h.skipped === true || (Array.isArray(h.results) && h.results.length > 0 && h.results.every((i: any) => i.skipped)) };
    }),
  );
  return tally(results);
}

/** jitsi-fleet's --output json report. */
export function tallyFleet(stdout: string, host: string): Tally {
  const start = stdout.indexOf('{');
  if (start < 0) return { held: new Set(), failed: new Set() };
  const report = JSON.parse(stdout.slice(start));
  const results = (report.plays ?? []).flatMap((p: any) =>
    (p.tasks ?? []).map((t: any) => {
      const h = t.hosts?.[host];
      return { name: String(t.name ?? ''), failed: h?.status === 'failed' || (h?.items ?? []).some((i: any) => i.status === 'failed'), skipped: !h || h.status === 'skipped' };
    }),
  );
  return tally(results);
}

/** The first line of jitsi-fleet's complaint, when it refused the playbook or stopped the host early. */
export function fleetStop(stdout: string, stderr: string, host: string): string {
  const start = stdout.indexOf('{');
  try {
    const report = JSON.parse(stdout.slice(start));
    if (report.error) return `refused: ${String(report.error.message ?? report.error).split('\n')[0]}`;
    for (const p of report.plays ?? [])
      for (const t of p.tasks ?? []) {
        const h = t.hosts?.[host];
        if (h?.status === 'failed' && !h.ignored && !String(t.name).includes(MARK)) return `stopped at "${t.name}": ${String(h.msg).split('\n')[0]}`;
      }
  } catch {
    return `no report: ${stderr.split('\n').find((l) => l.trim()) ?? ''}`;
  }
  return '';
}
