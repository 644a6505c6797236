/**
 * What the engine reports, as a union tagged by `kind`. The terminal (listr2),
 * plain-line and JSON renderers all consume the same events.
 */
import type { Location } from '../errors.ts';

/** Before/after text of one file, for `--diff`. */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
  /** Shown instead of the content, e.g. for binary files or secrets. */
  note?: string;
}

export type Status = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  rescued: number;
  ignored: number;
}

export interface ItemOutcome {
  label: string;
  status: Status;
  msg: string;
}

export interface TaskOutcome {
  host: string;
  task: string;
  taskId: number;
  status: Status;
  changed: boolean;
  /** Why nothing changed, what changed, or why it failed. */
  msg: string;
  diff: FileDiff[];
  durationMs: number;
  items?: ItemOutcome[];
  delegatedTo?: string;
  ignored?: boolean;
  /** The task's return values (redacted). */
  result?: Record<string, unknown>;
  location?: Location;
  handler?: boolean;
  /** The failure is a bug in jitsi-fleet (the run exits 70). */
  internal?: boolean;
}

export type RunEvent =
  | { kind: 'run-start'; playbook: string; check: boolean; diff: boolean }
  | { kind: 'play-start'; name: string; hosts: string[] }
  | { kind: 'task-start'; taskId: number; name: string; hosts: string[]; handler: boolean; location?: Location }
  | ({ kind: 'task-result' } & TaskOutcome)
  | { kind: 'task-end'; taskId: number }
  /** An until condition did not hold yet: the task runs again after `delay` seconds. */
  | { kind: 'task-retry'; host: string; taskId: number; task: string; attempt: number; attempts: number; delay: number; msg: string }
  | { kind: 'host-unreachable'; host: string; msg: string }
  | { kind: 'warning'; msg: string; host?: string }
  | { kind: 'play-end'; name: string }
  | { kind: 'interrupted'; msg: string }
  | { kind: 'recap'; stats: Record<string, HostStats>; commands: Record<string, number>; durationMs: number };

export type Emit = (event: RunEvent) => void;

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 };
}
