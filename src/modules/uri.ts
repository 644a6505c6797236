/**
 * uri: an HTTP request made on the managed host (as Ansible's, so that it
 * reaches the host's own `localhost` services: jicofo's REST, the bridge's
 * private REST). Plain http only: the request goes through bash's /dev/tcp,
 * so the host needs no curl or Python. Not run in check mode (as Ansible's),
 * unless the task says `check_mode: false`.
 *
 * ```yaml
 * - uri:
 *     url: http://127.0.0.1:8080/colibri/shutdown
 *     method: POST
 *     body_format: json
 *     body: { graceful-shutdown: true }
 * ```
 */
import { shellQuote } from '../util/shell-quote.ts';
import { parseHttpAnswer } from '../util/http.ts';
import type { ModuleDef, Plan } from './types.ts';

export interface UriArgs {
  url: string;
  method: string;
  body?: unknown;
  body_format: 'raw' | 'json';
  headers?: Record<string, unknown>;
  status_code: (number | string)[] | number | string;
  return_content: boolean;
  timeout: number;
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable' };

export const uri: ModuleDef<UriArgs> = {
  name: 'uri',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^http://', errorMessage: "uri speaks plain http:// (the host's own services); for https use get_url, or command: curl" },
      method: { type: 'string', pattern: '^[A-Za-z]+$', default: 'GET' },
      body: {},
      body_format: { enum: ['raw', 'json'], default: 'raw' },
      headers: { type: 'object' },
      status_code: { anyOf: [{ type: 'integer' }, { type: 'string' }, { type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } }], default: [200] },
      return_content: { type: 'boolean', default: false },
      timeout: { type: 'number', minimum: 1, default: 30 },
    },
  },
  async plan(a, ctx): Promise<Plan> {
    const u = new URL(a.url);
    const method = a.method.toUpperCase();
    if (ctx.check) return { changes: [], skipped: true, msg: 'uri is not run in check mode (as Ansible); check_mode: false on the task runs it' };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(a.headers ?? {})) headers[k] = String(v);
    let body = '';
    if (a.body !== undefined && a.body !== null) {
      if (a.body_format === 'json') {
        body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
        if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
      } else body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    }
    const port = u.port || '80';
    const lines = [`${method} ${u.pathname}${u.search} HTTP/1.0`, `Host: ${u.host}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body !== '' || ['POST', 'PUT', 'PATCH'].includes(method)) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    const request = lines.join('\r\n') + '\r\n\r\n' + body;
    const script = 'exec 3<>"/dev/tcp/$0/$1" || exit 7; cat >&3; cat <&3';
    const codes = (Array.isArray(a.status_code) ? a.status_code : [a.status_code]).map(Number);
    const started = Date.now();
    return {
      changes: [{ kind: 'exec', command: `timeout ${Math.ceil(a.timeout)} bash -c ${shellQuote(script)} ${shellQuote(u.hostname.replace(/^\[|\]$/g, ''))} ${port}`, stdin: request }],
      msg: `${method} ${a.url}`,
      finish([out]) {
        const elapsed = Math.round((Date.now() - started) / 1000);
        const answer = out.code === 0 || out.stdout.startsWith('HTTP/') ? parseHttpAnswer(out.stdout) : undefined;
        if (!answer) {
          const why = out.code === 124 ? 'timed out' : /refused/i.test(out.stderr) || out.code === 7 ? '[Errno 111] Connection refused' : (out.stderr.trim().split('\n').pop() ?? `exit ${out.code}`);
          return { failed: true, changed: false, msg: `Status code was -1 and not [${codes.join(', ')}]: Request failed: <urlopen error ${why}>`, result: { status: -1, url: a.url, elapsed, redirected: false } };
        }
        const result: Record<string, unknown> = { status: answer.status, url: a.url, elapsed, redirected: false, content_type: answer.headers['content-type'], content_length: answer.headers['content-length'] };
        for (const [k, v] of Object.entries(answer.headers)) result[k.replace(/-/g, '_')] ??= v;
        if ((answer.headers['content-type'] ?? '').split(';')[0].trim().endsWith('json') && answer.body !== '') {
          try {
            result.json = JSON.parse(answer.body);
          } catch {
            // not JSON after all: content only
          }
        }
        if (a.return_content) result.content = answer.body;
        const ok = codes.includes(answer.status);
        const text = answer.reason || STATUS_TEXT[answer.status] || '';
        return ok
          ? { changed: false, msg: `OK (${answer.headers['content-length'] ?? Buffer.byteLength(answer.body)} bytes)`, result }
          : { failed: true, changed: false, msg: `Status code was ${answer.status} and not [${codes.join(', ')}]: HTTP Error ${answer.status}: ${text}`, result };
      },
    };
  },
};
