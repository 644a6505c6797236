/** Mode/owner/group handling shared by the file modules (Ansible's check_file_attrs). */
import type { FileInfo } from '../connection/types.ts';

/** Ansible reads an integer mode as octal digits written in decimal (0644 in YAML 1.1 is 420). */
export function normalizeMode(mode: unknown): string | undefined {
  if (mode === undefined || mode === null || mode === '') return undefined;
  if (typeof mode === 'number') return mode.toString(8).padStart(4, '0');
  const s = String(mode);
  if (/^[0-7]{3,4}$/.test(s)) return s.padStart(4, '0');
  return s;
}

/** True when a mode, owner or group must change on an existing file. */
export function attrsDiffer(info: FileInfo, mode?: string, owner?: string, group?: string): boolean {
  if (info.state !== 'file' && info.state !== 'directory') return false;
  if (mode && /^[0-7]{4}$/.test(mode) && info.mode.padStart(4, '0') !== mode) return true;
  if (mode && !/^[0-7]{4}$/.test(mode)) {
    const cur = Number.parseInt(info.mode, 8);
    try {
      return symbolicMode(cur, mode, info.state === 'directory') !== cur;
    } catch {
      return true;
    }
  }
  if (owner && info.owner !== owner && String(owner) !== info.owner) return true;
  if (group && info.group !== group) return true;
  return false;
}

/**
 * A symbolic mode (`u=rwX,g+s,o-w`) applied to a path's mode bits, as
 * Ansible's _symbolic_mode_to_octal does it: several operators per clause,
 * `X` only for folders or what has an x bit, `u`/`g`/`o` as permissions copy
 * that class, an empty class means all but what the umask masks. Throws
 * Ansible's message on a bad clause.
 */
export function symbolicMode(current: number, symbolic: string, isDir: boolean, umask = 0o022): number {
  let mode = current & 0o7777;
  for (const clause of symbolic.split(',')) {
    const perms = clause.split(/[+=-]/);
    const ops = clause.match(/[+=-]/g) ?? [];
    const who = perms.shift()!;
    const useUmask = who === '';
    const users = who === '' || who === 'a' ? 'ugo' : who;
    if (!/^[ugo]+$/.test(users) || ops.length === 0) throw new Error(`bad symbolic permission for mode: ${clause}`);
    perms.forEach((p, i) => {
      if (!/^[rwxXstugo]*$/.test(p)) throw new Error(`bad symbolic permission for mode: ${clause}`);
      for (const u of users) {
        const apply = symbolicBits(u, p, useUmask, umask, mode, isDir);
        const mask = u === 'u' ? 0o4700 : u === 'g' ? 0o2070 : 0o1007;
        mode = ops[i] === '=' ? (mode & ~mask & 0o7777) | apply : ops[i] === '+' ? mode | apply : mode & ~apply;
      }
    });
  }
  return mode;
}

function symbolicBits(user: string, perms: string, useUmask: boolean, umask: number, prev: number, isDir: boolean): number {
  const shift = user === 'u' ? 6 : user === 'g' ? 3 : 0;
  const keep = useUmask ? ~umask & 0o777 : 0o777;
  const xOk = isDir || (prev & 0o111) > 0;
  const cls = (c: string) => (prev >> (c === 'u' ? 6 : c === 'g' ? 3 : 0)) & 7;
  let bits = 0;
  for (const p of perms) {
    if (p === 'r') bits |= keep & (4 << shift);
    else if (p === 'w') bits |= keep & (2 << shift);
    else if (p === 'x') bits |= keep & (1 << shift);
    else if (p === 'X') bits |= xOk ? 1 << shift : 0;
    else if (p === 's') bits |= user === 'u' ? 0o4000 : user === 'g' ? 0o2000 : 0;
    else if (p === 't') bits |= user === 'o' ? 0o1000 : 0;
    else bits |= cls(p) << shift;
  }
  return bits;
}

/** A mode as Ansible's results and diffs write it ('0%03o'). */
export function modeText(bits: number): string {
  return '0' + (bits & 0o7777).toString(8).padStart(3, '0');
}

/**
 * Ansible's other common file arguments: accepted so that a playbook loads; setting
 * attributes or SELinux labels fails the task that asks (unsafe_writes changes nothing here).
 */
export const FILE_UNSUPPORTED_PROPS = {
  attributes: { type: 'string' },
  seuser: { type: 'string' },
  serole: { type: 'string' },
  setype: { type: 'string' },
  selevel: { type: 'string' },
  unsafe_writes: { type: 'boolean' },
} as const;

/** Schema properties every file-writing module takes (Ansible's add_file_common_args, our subset). */
export const FILE_COMMON_PROPS = {
  backup: { type: 'boolean', default: false },
  validate: { type: 'string' },
  mode: { type: ['string', 'integer'] },
  owner: { type: 'string' },
  group: { type: 'string' },
  ...FILE_UNSUPPORTED_PROPS,
} as const;

/** chattr attributes asked (Ansible's `attributes`/`attr`; empty or '=' alone asks nothing). */
export function asksAttributes(a: { attributes?: unknown }): a is { attributes: string } {
  return typeof a.attributes === 'string' && a.attributes !== '' && a.attributes !== '=';
}

/** The failure for file arguments jitsi-fleet accepts but cannot do (chattr attributes but in the file module, SELinux labels). */
export function unsupportedAttrs(a: Record<string, unknown>, opts: { attributes?: boolean } = {}): string | undefined {
  if (!opts.attributes && asksAttributes(a)) return `attributes (${a.attributes}) are not supported by jitsi-fleet: set them with command: chattr`;
  const se = ['seuser', 'serole', 'setype', 'selevel'].filter((k) => a[k] !== undefined && a[k] !== '_default');
  if (se.length) return `SELinux labels (${se.join(', ')}) are not supported by jitsi-fleet`;
  return undefined;
}
