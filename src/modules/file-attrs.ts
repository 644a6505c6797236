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
  if (mode && !/^[0-7]{4}$/.test(mode)) return symbolicChanges(info.mode, mode);
  if (owner && info.owner !== owner && String(owner) !== info.owner) return true;
  if (group && info.group !== group) return true;
  return false;
}

/** Applies a symbolic mode (`u=rw,g=r,o=`) to an octal mode and says if it differs. */
function symbolicChanges(current: string, symbolic: string): boolean {
  let bits = Number.parseInt(current, 8);
  for (const clause of symbolic.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!m) return true;
    const who = m[1] === '' || m[1].includes('a') ? 'ugo' : m[1];
    let perm = 0;
    for (const p of m[3]) perm |= p === 'r' ? 4 : p === 'w' ? 2 : p === 'x' || p === 'X' ? 1 : 0;
    for (const w of who) {
      const shift = w === 'u' ? 6 : w === 'g' ? 3 : 0;
      const mask = 7 << shift;
      if (m[2] === '=') bits = (bits & ~mask) | (perm << shift);
      else if (m[2] === '+') bits |= perm << shift;
      else bits &= ~(perm << shift);
    }
  }
  return bits !== Number.parseInt(current, 8);
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

/** The failure for file arguments jitsi-fleet accepts but cannot do (chattr attributes, SELinux labels). */
export function unsupportedAttrs(a: Record<string, unknown>): string | undefined {
  if (typeof a.attributes === 'string' && a.attributes !== '' && a.attributes !== '=') return `attributes (${a.attributes}) are not supported by jitsi-fleet: set them with command: chattr`;
  const se = ['seuser', 'serole', 'setype', 'selevel'].filter((k) => a[k] !== undefined && a[k] !== '_default');
  if (se.length) return `SELinux labels (${se.join(', ')}) are not supported by jitsi-fleet`;
  return undefined;
}
