/**
 * Where a CPU profile's sample falls in the sources, when the CLI ran from
 * its bundle (dist/bundle/cli.cjs): esbuild starts each module with a
 * `// dist/src/...` or `// node_modules/...` comment, so a line of the bundle
 * names its module. Used by bench/profile-one.ts and bench/scale.ts.
 */
import { readFile } from 'node:fs/promises';

export interface CallFrame {
  url: string;
  functionName: string;
  lineNumber: number;
}

/** The bundle's modules by first line. */
export async function bundleModules(file: string): Promise<[number, string][]> {
  const marks: [number, string][] = [];
  (await readFile(file, 'utf8')).split('\n').forEach((line, i) => {
    const m = /^\/\/ ((?:dist\/src|node_modules)\/\S+)/.exec(line);
    if (m) marks.push([i, m[1]]);
  });
  return marks;
}

/** The frame's source: its URL, or for a frame of the bundle the module it is in (dist/src/... or node_modules/...). */
export function sourceOf(frame: CallFrame, marks: [number, string][]): string {
  if (!frame.url.includes('/dist/bundle/')) return frame.url;
  let inBundle: string | undefined;
  for (const [line, mod] of marks) if (line <= frame.lineNumber) inBundle = mod;
  return inBundle ?? frame.url;
}
