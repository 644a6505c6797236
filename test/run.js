#!/usr/bin/env node
// Runs the uvu suites compiled to dist/test and prints one closing line:
// "N passed, N failed" (what CI reads). Lab suites run only where a lab can start.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['dist/test/unit', 'dist/test/lab'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of dirs) {
  if (!existsSync(path.join(root, dir))) continue;
  const res = spawnSync(process.execPath, [uvu, dir, '\\.test\\.js$', '--no-color'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } });
  process.stdout.write(res.stdout ?? '');
  const total = Number(/Total:\s+(\d+)/.exec(res.stdout ?? '')?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(res.stdout ?? '')?.[1] ?? 0);
  const skip = Number(/Skipped:\s+(\d+)/.exec(res.stdout ?? '')?.[1] ?? 0);
  passed += ok;
  skipped += skip;
  failed += total - ok;
  if (res.status !== 0 && total === ok) failed += 1; // a suite that crashed before reporting
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
