/**
 * Text from hosts (file contents, command output) can hold control
 * characters: shown as escapes (`\x1b`), they can neither drive a terminal
 * nor break a log or an XML report. Newlines and tabs stay.
 */
export function printable(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
