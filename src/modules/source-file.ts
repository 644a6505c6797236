/** Finds a controller-side `src` file the way Ansible does (files/ or templates/ beside the play or task file). */
import { access } from 'node:fs/promises';
import path from 'node:path';

export async function findSource(src: string, dirs: string[], sub: 'files' | 'templates'): Promise<string | undefined> {
  if (path.isAbsolute(src)) return (await exists(src)) ? src : undefined;
  for (const d of dirs) {
    for (const candidate of [path.join(d, sub, src), path.join(d, src)]) {
      if (await exists(candidate)) return candidate;
    }
  }
  return undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
