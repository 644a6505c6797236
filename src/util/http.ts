/** An HTTP/1.x answer as raw text (what a host printed): status, headers (names lower-cased), body. */
export interface HttpAnswer {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: string;
}

export function parseHttpAnswer(raw: string): HttpAnswer | undefined {
  const m = /^HTTP\/\d(?:\.\d)? (\d{3}) ?([^\r\n]*)\r?\n([\s\S]*?)\r?\n\r?\n([\s\S]*)$/.exec(raw) ?? /^HTTP\/\d(?:\.\d)? (\d{3}) ?([^\r\n]*)\r?\n([\s\S]*)$/.exec(raw);
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of (m[3] ?? '').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(m[1]), reason: m[2], headers, body: m[4] ?? '' };
}
