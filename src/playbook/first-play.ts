/**
 * The first play's `hosts` (and remote_user) of a playbook file, read ahead of the full load
 * (which reads the file again, with its tasks and checks): the run connects
 * those hosts meanwhile. Undefined when the file cannot tell it (unreadable,
 * not a list of plays, or starting with import_playbook); the full load then
 * says what is wrong.
 */
import { readFile } from 'node:fs/promises';
import { parseYaml } from '../yaml/source.ts';

export async function firstPlay(file: string): Promise<{ hosts: unknown; remote_user?: unknown } | undefined> {
  try {
    const data = parseYaml(await readFile(file, 'utf8'), file);
    const first = Array.isArray(data) ? data[0] : undefined;
    if (first === null || typeof first !== 'object' || Array.isArray(first)) return undefined;
    if ('import_playbook' in first || 'ansible.builtin.import_playbook' in first) return undefined;
    return { hosts: (first as Record<string, unknown>).hosts, remote_user: (first as Record<string, unknown>).remote_user };
  } catch {
    return undefined;
  }
}
