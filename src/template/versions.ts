/**
 * Ansible's `version` test (version_compare): the operators it names and the
 * version schemes it compares by (distutils' LooseVersion and StrictVersion,
 * semantic versions, PEP 440), with its messages when the input is wrong.
 */

type Key = unknown[];

const OPS: Record<string, string> = { '==': 'eq', '=': 'eq', eq: 'eq', '<': 'lt', lt: 'lt', '<=': 'le', le: 'le', '>': 'gt', gt: 'gt', '>=': 'ge', ge: 'ge', '!=': 'ne', '<>': 'ne', ne: 'ne' };
const TYPES = ['loose', 'strict', 'semver', 'semantic', 'pep440'];

/** Python's ordering of two values of a version key (numbers with numbers, text with text; else a TypeError). */
function cmpPart(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) return cmpKeys(a, b);
  if (typeof a === typeof b) return a! < b! ? -1 : a! > b! ? 1 : 0;
  throw new Error(`'<' not supported between instances of '${typeof a === 'number' ? 'int' : 'str'}' and '${typeof b === 'number' ? 'int' : 'str'}'`);
}

function cmpKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = cmpPart(a[i], b[i]);
    if (c) return c;
  }
  return Math.sign(a.length - b.length);
}

/** distutils' LooseVersion: runs of digits as numbers, runs of letters as text, dots dropped. */
function loose(v: string): Key {
  return v
    .split(/(\d+|[a-z]+|\.)/i)
    .filter((x) => x && x !== '.')
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

/** distutils' StrictVersion: N.N[.N][(a|b)N]; a pre-release sorts before its release. */
function strict(v: string): Key {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(v);
  if (!m) throw new Error(`invalid version number '${v}'`);
  return [[Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], m[4] ? [0, m[4], Number(m[5])] : [1]];
}

/** Semantic Versioning 2.0.0: pre-release identifiers compared one by one, build metadata ignored. */
function semantic(v: string): Key {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/.exec(v);
  if (!m) throw new Error(`invalid semantic version '${v}'`);
  // Numeric identifiers sort before alphanumeric ones: tag each so the comparison never mixes kinds.
  const pre = m[4] ? [0, m[4].split('.').map((p) => (/^\d+$/.test(p) ? [0, Number(p)] : [1, p]))] : [1];
  return [[Number(m[1]), Number(m[2]), Number(m[3])], pre];
}

/** PEP 440: release, then pre-release (a < b < rc), post-release and dev-release as packaging orders them. */
function pep440(v: string): Key {
  const m = /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$/i.exec(v);
  if (!m) throw new Error(`Invalid version: '${v}'`);
  const release = m[2].split('.').map(Number);
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const preName = m[3]?.toLowerCase();
  const preRank = preName === undefined ? undefined : preName.startsWith('a') ? 0 : preName.startsWith('b') ? 1 : 2;
  const post = m[5] ?? (m[6] !== undefined ? m[7] || '0' : undefined);
  const dev = m[8] !== undefined ? Number(m[9] || 0) : undefined;
  // packaging's _cmpkey: a dev release alone sorts before any pre-release; no pre, post or dev: after them.
  const preKey = preRank === undefined ? (post === undefined && dev !== undefined ? [-1] : [3]) : [preRank, Number(m[4] || 0)];
  const postKey = post === undefined ? [-1] : [0, Number(post)];
  const devKey = dev === undefined ? [1] : [0, dev];
  return [Number(m[1] ?? 0), release, preKey, postKey, devKey];
}

const KEYS: Record<string, (v: string) => Key> = { loose, strict, semver: semantic, semantic, pep440 };

/** `value is version(other, operator, strict, version_type)`, failing with Ansible's messages. */
export function versionCompare(value: unknown, version: unknown, operator: unknown = 'eq', strictArg?: unknown, versionType?: unknown): boolean {
  if (strictArg !== undefined && strictArg !== null && versionType !== undefined && versionType !== null) throw new Error("Cannot specify both 'strict' and 'version_type'");
  if (!value) throw new Error('Input version value cannot be empty');
  if (!version) throw new Error('Version parameter to compare against cannot be empty');
  let scheme = 'loose';
  if (strictArg) scheme = 'strict';
  else if (versionType) {
    if (!TYPES.includes(String(versionType))) throw new Error(`Invalid version type (${String(versionType)}). Must be one of ${TYPES.map((t) => `'${t}'`).join(', ')}`);
    scheme = String(versionType);
  }
  const op = OPS[String(operator)];
  if (!op) throw new Error(`Invalid operator type (${String(operator)}). Must be one of ${Object.keys(OPS).map((o) => `'${o}'`).join(', ')}`);
  let c: number;
  try {
    c = cmpKeys(KEYS[scheme](String(value)), KEYS[scheme](String(version)));
  } catch (e) {
    throw new Error(`Version comparison failed: ${(e as Error).message}`);
  }
  return { eq: c === 0, ne: c !== 0, lt: c < 0, le: c <= 0, gt: c > 0, ge: c >= 0 }[op]!;
}
