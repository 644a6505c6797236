/**
 * One base error with a kind per stage. The CLI maps kinds to exit codes and
 * prints a stack trace only for `internal` errors.
 */
export type ErrorKind = 'input' | 'connection' | 'task' | 'internal';

/** Where in a source file something stands (1-based line and column). */
export interface Location {
  file: string;
  line: number;
  column: number;
}

export function formatLocation(loc: Location | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : '';
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

  /** One or two lines for a person: `file:line:col: message` and a hint. */
  describe(): string {
    const where = this.location ? `${formatLocation(this.location)}: ` : '';
    return this.hint ? `${where}${this.message}\n  hint: ${this.hint}` : `${where}${this.message}`;
  }
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

/** A task that failed on a host. */
export class TaskError extends FleetError {
  constructor(message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super('task', message, opts);
  }
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
