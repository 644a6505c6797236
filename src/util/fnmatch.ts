import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Python's fnmatch as a regular expression (case-sensitive, as on Linux):
 * `*`, `?`, `[seq]` and `[!seq]`; everything else literal. Host patterns,
 * fileglob and find's patterns use it.
 */
export function fnmatch(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let set = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (set.startsWith('!')) set = '^' + set.slice(1);
        re += `[${set}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * The files (not folders) a pattern names on this machine, as Python's glob.glob then os.path.isfile:
 * wildcards in any part of the path, names starting with a dot only when the part does; sorted.
 */
export function globFiles(pattern: string): string[] {
  let paths = [pattern.startsWith('/') ? '/' : ''];
  for (const part of pattern.split('/').filter(Boolean)) {
    if (!/[*?[]/.test(part)) {
      paths = paths.map((p) => (p === '' ? part : path.join(p, part)));
      continue;
    }
    const re = fnmatch(part);
    paths = paths.flatMap((p) => {
      let names: string[];
      try {
        names = readdirSync(p === '' ? '.' : p);
      } catch {
        return [];
      }
      return names.filter((n) => re.test(n) && (!n.startsWith('.') || part.startsWith('.'))).map((n) => (p === '' ? n : path.join(p, n)));
    });
  }
  return paths.filter((p) => p !== '' && statSync(p, { throwIfNoEntry: false })?.isFile()).sort();
}
