/**
 * The one way a value becomes part of a shell command, local or remote:
 * single-quoted for a POSIX shell (zx's `quote`, without bash-only `$''`
 * forms); words that need no quoting are left as they are.
 */
export function shellQuote(s: string): string {
  if (s !== '' && /^[\w@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, "'\\''") + "'";
}
