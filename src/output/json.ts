/** `--output json`: one report at the end, per host and task, with the recap and command counts. */
import type { Location } from '../errors.ts';
import type { FileDiff } from '../events/events.ts';
import type { HostStats, ItemOutcome, RunEvent, Status } from '../events/events.ts';

interface TaskReport {
  id: number;
  name: string;
  handler: boolean;
  location?: string;
  hosts: Record<string, { status: Status; changed: boolean; msg: string; diff: FileDiff[]; duration_ms: number; items?: ItemOutcome[]; ignored?: boolean; result?: Record<string, unknown> }>;
}

export interface JsonReport {
  playbook: string;
  check: boolean;
  diff: boolean;
  plays: { name: string; hosts: string[]; tasks: TaskReport[] }[];
  unreachable: Record<string, string>;
  warnings: string[];
  stats: Record<string, HostStats>;
  /** Commands sent to each host over the whole run. */
  commands: Record<string, number>;
  duration_ms: number;
  interrupted: boolean;
}

const where = (l?: Location) => (l ? `${l.file}:${l.line}:${l.column}` : undefined);

export class JsonRenderer {
  readonly report: JsonReport = { playbook: '', check: false, diff: false, plays: [], unreachable: {}, warnings: [], stats: {}, commands: {}, duration_ms: 0, interrupted: false };
  private readonly tasks = new Map<number, TaskReport>();

  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  handle(e: RunEvent): void {
    const r = this.report;
    switch (e.kind) {
      case 'run-start':
        Object.assign(r, { playbook: e.playbook, check: e.check, diff: e.diff });
        break;
      case 'play-start':
        r.plays.push({ name: e.name, hosts: e.hosts, tasks: [] });
        break;
      case 'task-start': {
        const t: TaskReport = { id: e.taskId, name: e.name, handler: e.handler, location: where(e.location), hosts: {} };
        this.tasks.set(e.taskId, t);
        r.plays[r.plays.length - 1]?.tasks.push(t);
        break;
      }
      case 'task-result': {
        const t = this.tasks.get(e.taskId);
        if (t) t.hosts[e.host] = { status: e.status, changed: e.changed, msg: e.msg, diff: e.diff, duration_ms: e.durationMs, items: e.items, ignored: e.ignored, result: e.result };
        break;
      }
      case 'host-unreachable':
        r.unreachable[e.host] = e.msg;
        break;
      case 'warning':
        r.warnings.push(e.msg);
        break;
      case 'interrupted':
        r.interrupted = true;
        break;
      case 'recap':
        Object.assign(r, { stats: e.stats, commands: e.commands, duration_ms: e.durationMs });
        break;
      default:
        break;
    }
  }

  async done(): Promise<void> {
    this.write(JSON.stringify(this.report, null, 2) + '\n');
  }
}
