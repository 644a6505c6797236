/**
 * Host key verification against OpenSSH known_hosts files (plain and hashed
 * `|1|salt|hmac` entries), with OpenSSH's modes: `yes` (an unknown host is an
 * error), `accept-new` (record new keys), `no`. A changed key is always an error.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export type HostKeyChecking = 'yes' | 'accept-new' | 'no';

export interface KnownKey {
  type: string;
  blob: Buffer;
  revoked: boolean;
}

/** `SHA256:...` as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type written inside an SSH public key blob. */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}

/** The name a host has in known_hosts: `host`, or `[host]:port` off port 22. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  return re.test(name);
}

function patternMatches(field: string, names: string[]): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    const key = Buffer.from(salt, 'base64');
    return names.some((n) => createHmac('sha1', key).update(n).digest('base64') === hash);
  }
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (names.some((n) => globMatch(p.slice(1), n))) return false;
    } else if (names.some((n) => globMatch(p, n))) matched = true;
  }
  return matched;
}

/** Keys recorded for a host (by name and by address) in the given files. */
export async function knownKeys(files: string[], names: string[]): Promise<KnownKey[]> {
  const out: KnownKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const parts = line.split(/\s+/);
      let marker = '';
      if (parts[0].startsWith('@')) marker = parts.shift()!;
      if (marker === '@cert-authority') continue;
      const [hosts, type, b64] = parts;
      if (!hosts || !type || !b64) continue;
      if (!patternMatches(hosts, names)) continue;
      out.push({ type, blob: Buffer.from(b64, 'base64'), revoked: marker === '@revoked' });
    }
  }
  return out;
}

export async function recordKey(file: string, entryName: string, blob: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${entryName} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

export type Verdict = { ok: true; recorded?: boolean } | { ok: false; reason: string };

/** Decides on a presented host key. `names`: the known_hosts names of the host (entry name first). */
export async function verifyHostKey(mode: HostKeyChecking, files: string[], names: string[], blob: Buffer, label: string): Promise<Verdict> {
  if (mode === 'no') return { ok: true };
  const keys = await knownKeys(files, names);
  const type = keyType(blob);
  const fp = fingerprint(blob);
  if (keys.some((k) => k.revoked && k.blob.equals(blob))) return { ok: false, reason: `the host key of ${label} (${type} ${fp}) is marked @revoked in known_hosts` };
  if (keys.some((k) => !k.revoked && k.blob.equals(blob))) return { ok: true };
  const sameType = keys.filter((k) => !k.revoked && k.type === type);
  if (sameType.length > 0 || keys.some((k) => !k.revoked)) {
    return {
      ok: false,
      reason:
        `HOST KEY CHANGED for ${label}: it now presents ${type} ${fp}, which does not match known_hosts (${files[0]}). ` +
        `This can be an attack or a reinstalled host. If you know why it changed, remove the old entry with ` +
        `'ssh-keygen -R "${names[0]}" -f ${files[0]}' and connect again.`,
    };
  }
  if (mode === 'accept-new') {
    await recordKey(files[0], names[0], blob);
    return { ok: true, recorded: true };
  }
  return {
    ok: false,
    reason:
      `unknown host key for ${label}: ${type} ${fp}. Check the fingerprint, then accept it with ` +
      `--host-key-checking accept-new (records it in ${files[0]}), or add it yourself: ssh-keyscan ${names[0].startsWith('[') ? `-p ${names[0].replace(/^.*\]:/, '')} ${names[0].replace(/^\[(.*)\]:.*$/, '$1')}` : names[0]} >> ${files[0]}`,
  };
}
