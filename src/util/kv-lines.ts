/**
 * The `NAME=value` lines a probe script prints (`echo "HOME=$h"`): by name,
 * the value being the rest of the line (it may hold `=`). Other lines are
 * skipped; a name printed twice keeps its last value.
 */
export function keyValueLines(text: string): Record<string, string> {
  const v: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) v[m[1]] = m[2];
  }
  return v;
}
