/**
 * One base error with a kind per stage. The CLI maps kinds to exit codes;
 * no kind prints a stack trace (JITSI_FLEET_DEBUG=1 shows it for internal errors).
 */
import { readFileSync } from 'node:fs';

export type ErrorKind = 'input' | 'connection' | 'task' | 'internal';

/** Where in a source file something stands (1-based line and column). */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** `file:line:column`, the file relative to the current folder when it is inside it. */
export function formatLocation(loc: Location | undefined): string {
  if (!loc) return '';
  const cwd = process.cwd() + '/';
  const file = loc.file.startsWith(cwd) ? loc.file.slice(cwd.length) : loc.file;
  return `${file}:${loc.line}:${loc.column}`;
}

export class FleetError extends Error {
  readonly kind: ErrorKind;
  readonly location?: Location;
  readonly hint?: string;

  constructor(kind: ErrorKind, message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = kind;
    this.location = opts.location;
    this.hint = opts.hint;
  }

  /** For a person: `file:line:col: message`, the source line with a caret, and a hint. */
  describe(opts: { excerpt?: boolean } = {}): string {
    const where = this.location ? `${formatLocation(this.location)}: ` : '';
    const excerpt = opts.excerpt && this.location ? sourceExcerpt(this.location) : '';
    return `${where}${this.message}${excerpt ? '\n' + excerpt : ''}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** The line a location points at, with a caret under its column (as Ansible shows YAML errors). */
export function sourceExcerpt(loc: Location): string {
  let text: string;
  try {
    text = readFileSync(loc.file, 'utf8');
  } catch {
    return '';
  }
  const line = text.replace(/^\uFEFF/, '').split(/\r?\n/)[loc.line - 1];
  if (line === undefined || line.trim() === '') return '';
  const shown = line.length > 160 ? line.slice(0, 160) + '...' : line;
  const gutter = `  ${loc.line} | `;
  return `${gutter}${shown}\n${' '.repeat(gutter.length + Math.max(0, Math.min(loc.column - 1, shown.length)))}^`;
}

/** Bad input: a playbook, inventory, template or command line we cannot use. */
export class InputError extends FleetError {
  constructor(message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super('input', message, opts);
  }
}

/** A host that cannot be reached, or whose connection dropped. */
export class ConnectionError extends FleetError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('connection', message, opts);
  }
}

/** Several input problems found in one pass (validate reports them all), sorted by file and line. */
export class InputErrors extends InputError {
  readonly problems: InputError[];

  /** At most this many are listed. */
  static readonly MAX = 50;

  constructor(found: InputError[]) {
    const flat = found.flatMap((p) => (p instanceof InputErrors ? p.problems : [p]));
    const seen = new Set<string>();
    const unique = flat.filter((p) => {
      const key = `${formatLocation(p.location)} ${p.message}`;
      return !seen.has(key) && seen.add(key);
    });
    unique.sort((a, b) => {
      const la = a.location;
      const lb = b.location;
      if (!la || !lb) return la ? -1 : lb ? 1 : 0;
      return la.file.localeCompare(lb.file) || la.line - lb.line || la.column - lb.column;
    });
    const problems = unique.slice(0, InputErrors.MAX);
    if (unique.length > InputErrors.MAX) problems.push(new InputError(`... and ${unique.length - InputErrors.MAX} more problems (fix these first)`));
    super(problems.length === 1 ? problems[0].message : `${problems.length} problems`, { location: problems[0]?.location, hint: problems[0]?.hint });
    this.problems = problems;
  }

  override describe(opts: { excerpt?: boolean } = {}): string {
    if (this.problems.length === 1) return this.problems[0].describe(opts);
    return `${this.problems.length} problems:\n` + this.problems.map((p) => p.describe(opts)).join('\n');
  }
}

/**
 * A bug in jitsi-fleet (a JavaScript TypeError and the like), as opposed to a
 * failure a user can act on. Names the task where it happened when known.
 */
export class InternalError extends FleetError {
  constructor(message: string, opts: { location?: Location; task?: string; cause?: unknown } = {}) {
    super('internal', message, { location: opts.location, cause: opts.cause });
    this.task = opts.task;
  }

  readonly task?: string;

  override describe(): string {
    const where = this.task || this.location ? ` in ${this.task ? `task '${this.task}'` : ''}${this.task && this.location ? ' at ' : ''}${this.location ? formatLocation(this.location) : ''}` : '';
    return `internal error${where}: ${this.message}. This is a bug in jitsi-fleet: please report it with the command you ran (JITSI_FLEET_DEBUG=1 shows the stack trace)`;
  }
}

/** True for errors that only a bug produces (TypeError, ReferenceError...), not a host or an input. */
export function isBug(e: unknown): boolean {
  if (e instanceof FleetError) return e.kind === 'internal';
  return e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError || (e instanceof RangeError && !isResourceLimit(e));
}

/** JavaScript's own limits (a string or array too long, deep recursion): input asked for too much. */
export function isResourceLimit(e: unknown): boolean {
  return e instanceof RangeError && /Invalid (string|array|typed array) length|Maximum call stack|Array buffer allocation failed|out of memory/i.test(e.message);
}

export function isFleetError(e: unknown): e is FleetError {
  return e instanceof FleetError;
}

/** The message of anything thrown, without a stack. */
export function messageOf(e: unknown): string {
  if (e instanceof FleetError) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}
