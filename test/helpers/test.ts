/**
 * uvu's `test`, with each test's name, result and duration printed as it
 * ends (uvu itself prints only dots). test/run.js reads these lines for its
 * closing table of suites.
 */
import { test as uvuTest } from 'uvu';
import { failedSetup } from './suite.ts';

type Handler = Parameters<typeof uvuTest>[1];

function report(mark: string, name: string, started: number): void {
  const ms = Date.now() - started;
  process.stdout.write(`\n  ${mark} ${name}  (${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`})\n`);
}

function timed(name: string, fn: Handler): Handler {
  return async (ctx) => {
    const started = Date.now();
    try {
      const broken = failedSetup();
      if (broken) throw new Error(`the suite's setup failed: ${broken.message}`);
      await fn(ctx);
    } catch (e) {
      report('✘', name, started);
      throw e;
    }
    report('✓', name, started);
  };
}

export const test = Object.assign((name: string, fn: Handler) => uvuTest(name, timed(name, fn)), uvuTest) as typeof uvuTest;
