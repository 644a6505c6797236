#!/usr/bin/env node
// The jitsi-fleet command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// --version answers before anything is loaded (start-up is most of a short command's time).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`jitsi-fleet ${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}
const compiled = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('jitsi-fleet is not built: run `npm ci` (or `npm run build`) in the project folder\n');
  process.exit(70);
}
// The bundle (scripts/bundle.mjs) loads faster; one older than the compiled sources (a plain tsc since) is not used.
const bundled = new URL('../dist/bundle/cli.js', import.meta.url);
const mtime = (u) => statSync(fileURLToPath(u), { throwIfNoEntry: false })?.mtimeMs ?? 0;
const cli = mtime(bundled) >= mtime(compiled) ? bundled : compiled;
const { main, reportError } = await import(cli.href);
// Anything that escapes every handler is a bug: one line, exit 70, never a stack trace.
const crash = (e) => {
  process.exitCode = reportError(e);
  process.exit();
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
process.exitCode = await main(process.argv.slice(2));
