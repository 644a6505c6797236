/** An argument Ansible takes as a list or as comma-separated text (`groups: a,b`), as a list of trimmed names. */
export function argList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v.map(String) : String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}
