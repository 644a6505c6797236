/**
 * Host ranges as Ansible expands them: `jvb[01:10]`, `node[a:f]`,
 * `web[1:9:2]`, plus an optional `:port` suffix.
 */
import { InputError, type Location } from '../errors.ts';

function expandOnce(pattern: string, location?: Location): string[] {
  const m = /^(.*?)\[([^\]]*)\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, range, tail] = m;
  const parts = range.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new InputError(`host range '[${range}]' in '${pattern}' must be [start:end] or [start:end:step]`, { location });
  }
  const [beg = '', end, stepText] = parts;
  const step = stepText ? Number.parseInt(stepText, 10) : 1;
  if (!Number.isInteger(step) || step < 1) throw new InputError(`host range step in '${pattern}' must be a positive number`, { location });
  const out: string[] = [];
  if (/^\d*$/.test(beg) && /^\d+$/.test(end)) {
    const from = beg === '' ? 0 : Number.parseInt(beg, 10);
    const to = Number.parseInt(end, 10);
    if (from > to) throw new InputError(`host range '[${range}]' in '${pattern}' starts after it ends`, { location });
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    for (let i = from; i <= to; i += step) out.push(head + String(i).padStart(width, '0') + tail);
  } else if (/^[a-z]$/i.test(beg) && /^[a-z]$/i.test(end)) {
    const from = beg.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (from > to) throw new InputError(`host range '[${range}]' in '${pattern}' starts after it ends`, { location });
    for (let i = from; i <= to; i += step) out.push(head + String.fromCharCode(i) + tail);
  } else {
    throw new InputError(`host range '[${range}]' in '${pattern}' mixes letters and numbers or is not a range`, { location });
  }
  return out.flatMap((p) => expandOnce(p, location));
}

/** Expands a host definition into names and an optional port. */
export function expandHostPattern(pattern: string, location?: Location): { names: string[]; port?: number } {
  let text = pattern.trim();
  let port: number | undefined;
  const pm = /^(.*[^:]):(\d+)$/.exec(text);
  if (pm && !pm[1].includes(':')) {
    text = pm[1];
    port = Number.parseInt(pm[2], 10);
  } else if (text.endsWith(':')) {
    throw new InputError(`host '${pattern}' ends in ':'; that character introduces a port`, { location });
  }
  if (text === '' || text === '---') throw new InputError(`'${pattern}' is not a valid host name`, { location });
  return { names: expandOnce(text, location), port };
}
