#!/usr/bin/env node
// The jitsi-fleet command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

// --version answers before anything is loaded (start-up is most of a short command's time).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`jitsi-fleet ${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}
const compiled = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('jitsi-fleet is not built: run `npm ci` (or `npm run build`) in the project folder\n');
  process.exit(70);
}

/**
 * Loads the bundled CLI (scripts/bundle.mjs) through a V8 code cache, as
 * Node 22's module.enableCompileCache would: the code V8 compiled for the
 * bundle in an earlier run of the same command is kept beside it, so a short
 * command does not parse and compile 1.3 MB of JavaScript each time. A cache
 * per command (run, validate...: each compiles other parts), named after the
 * bundle's size and time (a rebuilt bundle is not served old code; V8 itself
 * refuses a cache of another Node version). Written once, at exit, through a
 * temporary file and a rename; where the folder is read-only, runs go without.
 * JITSI_FLEET_CODE_CACHE=0 turns it off (each run compiles, as a first one).
 */
function loadBundle(file, beforeRun) {
  const { size, mtimeMs } = statSync(file);
  const command = /^[a-z-]+$/.test(args[0] ?? '') ? args[0] : 'other';
  const cacheFile = `${file}.${command}.${size}-${Math.trunc(mtimeMs)}.cache`;
  const useCache = process.env.JITSI_FLEET_CODE_CACHE !== '0';
  let cachedData;
  try {
    if (useCache) cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (useCache && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only install: the next run compiles again
      }
    });
  }
  beforeRun?.();
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

// The bundle, unless it is older than the compiled sources (a plain tsc since): then dist/src.
const bundled = fileURLToPath(new URL('../dist/bundle/cli.cjs', import.meta.url));
const mtime = (f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const useBundle = mtime(bundled) >= mtime(compiled);

/**
 * `validate` keeps its verdict (src/util/verdict-cache.ts): a second run of
 * the same command line over unchanged files replays the first one's output
 * without loading the CLI. Only for the bundle (a build's identity is its
 * size and time); --no-cache or JITSI_FLEET_VALIDATE_CACHE=0 turn it off,
 * JITSI_FLEET_VALIDATE_CACHE=trace says on stderr what it did and why.
 */
const cacheSetting = process.env.JITSI_FLEET_VALIDATE_CACHE;
let verdicts;
if (args[0] === 'validate' && useBundle && cacheSetting !== '0' && !args.includes('--no-cache')) {
  const vc = await import('../dist/src/util/verdict-cache.js');
  const { size, mtimeMs } = statSync(bundled);
  const trace = (msg) => cacheSetting === 'trace' && process.stderr.write(`validate cache: ${msg}\n`);
  verdicts = { vc, trace, dir: vc.cacheDir(), key: vc.verdictKey(`${size}-${Math.trunc(mtimeMs)}`, args) };
  const kept = vc.replay(verdicts.dir, verdicts.key);
  if ('code' in kept) {
    trace('hit: every file and variable it read is as it was');
    vc.writeOutput(kept.verdict);
    process.exitCode = kept.code;
    verdicts = 'replayed';
  } else trace(`miss: ${kept.miss}`);
}

if (verdicts !== 'replayed') {
  const { main, reportError } = useBundle
    ? loadBundle(bundled, () => {
        // Watching starts before the CLI's code runs, so that every reference it takes to node:fs is one we see.
        if (verdicts) verdicts.recording = verdicts.vc.record();
      })
    : await import(compiled);
  // Anything that escapes every handler is a bug: one line, exit 70, never a stack trace.
  const crash = (e) => {
    process.exitCode = reportError(e);
    process.exit();
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const code = await main(args);
  process.exitCode = code;
  if (verdicts?.recording) {
    const verdict = verdicts.recording.finish(code);
    // An internal error (70) or an interrupted run (130) is not a verdict on the files.
    if ('unkept' in verdict) verdicts.trace(`not kept: ${verdict.unkept}`);
    else if (code === 70 || code === 130) verdicts.trace(`not kept: exit code ${code}`);
    else {
      try {
        verdicts.vc.keep(verdicts.dir, verdicts.key, verdict);
        verdicts.trace(`kept (${verdict.inputs.length} reads, ${Object.keys(verdict.env).length} variables)`);
      } catch (e) {
        verdicts.trace(`not kept: ${e.message}`);
      }
    }
  }
}
