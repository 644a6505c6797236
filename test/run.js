#!/usr/bin/env node
// Runs the compiled test suites (dist/test/<dir>/*.test.js), one process per
// suite: each test's name, result and duration as it ends, failures with the
// assertion, then a table of suites and one closing line CI reads:
// "N passed, N failed". Default dirs: unit, cli, compat, lab.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Runs under test connect on their own unless a test asks for kept connections (connection/persist.ts).
process.env.JITSI_FLEET_PERSIST ??= '0';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dirs = args.length ? args : ['dist/test/unit', 'dist/test/cli', 'dist/test/compat', 'dist/test/lab'];
const tty = process.stdout.isTTY && !process.env.CI;
const paint = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);

function runSuite(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } });
    let passed = 0;
    let failed = 0;
    let out = '';
    let pending = '';
    let inFailure = false;
    const show = (line) => {
      // uvu's own progress dots and totals are replaced by our lines and table.
      if (/^(?:[•✘] ?)*\s*(?:\(\d+ \/ \d+\))?\s*$/.test(line) && line.trim() !== '') return;
      const l = line;
      if (/^\s*(Total|Passed|Skipped|Duration):/.test(l)) return;
      if (/^\s*[✓✘] /.test(l)) {
        if (l.includes('✓')) passed++;
        else failed++;
        process.stdout.write(l.includes('✘') ? paint(31, l) + '\n' : l + '\n');
        return;
      }
      if (/^\s*FAIL\s/.test(l)) inFailure = true;
      if (inFailure || /SETUP FAILED|lab tests skipped/.test(l)) process.stdout.write(l + '\n');
    };
    child.stdout.on('data', (d) => {
      out += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(show);
    });
    child.on('close', (code) => {
      if (pending) show(pending);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? passed + failed);
      // A suite that ended before reporting (crashed, or a test hung up the process) counts as a failure.
      if (code !== 0 && failed === 0) failed = Math.max(1, total - passed);
      resolve({ passed, failed, ms: Date.now() - started });
    });
  });
}

const results = [];
for (const dir of dirs) {
  const full = path.join(root, dir);
  if (!existsSync(full)) continue;
  // A folder of suites, or one suite file (`node test/run.js dist/test/lab/fleet.test.js`).
  const files = statSync(full).isDirectory() ? readdirSync(full).filter((f) => /\.test\.js$/.test(f)).sort().map((f) => path.join(full, f)) : [full];
  for (const file of files) {
    const label = `${path.basename(path.dirname(file))}/${path.basename(file).replace(/\.test\.js$/, '')}`;
    process.stdout.write(`\n${paint(1, label)}\n`);
    results.push({ label, ...(await runSuite(file)) });
  }
}

const width = Math.max(5, ...results.map((r) => r.label.length));
const fmt = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);
console.log(`\n${'suite'.padEnd(width)}  passed  failed  time`);
for (const r of results) {
  const line = `${r.label.padEnd(width)}  ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${fmt(r.ms)}`;
  console.log(r.failed ? paint(31, line) : line);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${'all'.padEnd(width)}  ${String(passed).padStart(6)}  ${String(failed).padStart(6)}  ${fmt(results.reduce((n, r) => n + r.ms, 0))}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
