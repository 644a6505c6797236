/**
 * Plain (unquoted) scalars resolved exactly as PyYAML resolves them, which
 * is what Ansible reads: YAML 1.1 with PyYAML's own regular expressions.
 * `e1` and `1e3` stay strings (PyYAML's floats need a dot), `017` is octal,
 * `0o17` a string, `1_000` is 1000, `1:30` is 90, dates stay text.
 */
import type { ScalarTag } from 'yaml';

const tag = (name: string) => `tag:yaml.org,2002:${name}`;

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP = /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

/** Base-60 numbers (`1:30` is 90), as PyYAML's constructors read them. */
function sexagesimal(text: string, parse: (s: string) => number): number {
  let value = 0;
  for (const part of text.split(':')) value = value * 60 + parse(part);
  return value;
}

export function constructInt(source: string): number {
  let s = source.replace(/_/g, '');
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s.startsWith('0b')) return sign * Number.parseInt(s.slice(2), 2);
  if (s.startsWith('0x')) return sign * Number.parseInt(s.slice(2), 16);
  if (s[0] === '0') return sign * Number.parseInt(s, 8);
  if (s.includes(':')) return sign * sexagesimal(s, (p) => Number.parseInt(p, 10));
  return sign * Number.parseInt(s, 10);
}

export function constructFloat(source: string): number {
  let s = source.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '.inf') return sign * Infinity;
  if (s === '.nan') return Number.NaN;
  if (s.includes(':')) return sign * sexagesimal(s, Number.parseFloat);
  return sign * Number.parseFloat(s);
}

const scalar = (name: string, test: RegExp, resolve: (s: string) => unknown, identify: (v: unknown) => boolean): ScalarTag => ({
  tag: tag(name),
  default: true,
  test,
  resolve,
  identify,
});

/** PyYAML's implicit resolvers, in its order (bool, float, int, null, timestamp). */
export const PYYAML_SCALARS: ScalarTag[] = [
  scalar('bool', BOOL, (s) => /^(?:yes|true|on)$/i.test(s), (v) => typeof v === 'boolean'),
  scalar('float', FLOAT, constructFloat, (v) => typeof v === 'number' && !Number.isInteger(v)),
  scalar('int', INT, constructInt, (v) => typeof v === 'number' && Number.isInteger(v)),
  scalar('null', NULL, () => null, (v) => v === null),
  // Ansible gets a date object; as text it is the same characters.
  scalar('timestamp', TIMESTAMP, (s) => s, () => false),
];

const REPLACED = new Set(['bool', 'float', 'int', 'null', 'timestamp'].map(tag));

/**
 * Ansible's `!unsafe`: a string that is never templated. Each opening of
 * template syntax is kept as an expression that prints it (`{{ '{{' }}`), so
 * that every later rendering gives back the characters.
 */
export const UNSAFE_TAG = {
  tag: '!unsafe',
  resolve: (s: string) => s.replace(/\{([{%#])/g, "{{ '{$1' }}"),
};

/** A value with a `!unsafe` string in it (as UNSAFE_TAG writes them: each template opening as `{{ '{{' }}`). */
export function carriesUnsafe(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes("{{ '{") && /\{\{ '\{[{%#]' \}\}/.test(v);
  if (depth > 8 || v === null || typeof v !== 'object') return false;
  return (Array.isArray(v) ? v : Object.values(v)).some((x) => carriesUnsafe(x, depth + 1));
}

/** The YAML 1.1 tags with PyYAML's scalar rules in place of the library's own, and Ansible's !unsafe. */
export function pyyamlTags(tags: { tag: string }[]): { tag: string }[] {
  return [...PYYAML_SCALARS, UNSAFE_TAG, ...tags.filter((t) => !REPLACED.has(t.tag))];
}
