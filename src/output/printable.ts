export { printable } from '../util/printable.ts';

/** A message without the host name it starts with (`meet: cannot connect` → `cannot connect`), for lines that name the host already. */
export function withoutHost(host: string, msg: string): string {
  return msg.startsWith(`${host}: `) ? msg.slice(host.length + 2) : msg;
}
