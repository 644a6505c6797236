/**
 * Text from hosts (file contents, command output) can hold control
 * characters: shown as escapes (`\x1b`), they can neither drive a terminal
 * nor break a log or an XML report. Newlines and tabs stay.
 */
export function printable(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A message without the host name it starts with (`meet: cannot connect` → `cannot connect`), for lines that name the host already. */
export function withoutHost(host: string, msg: string): string {
  return msg.startsWith(`${host}: `) ? msg.slice(host.length + 2) : msg;
}
