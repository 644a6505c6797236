/**
 * A suite's setup that cannot be swallowed: uvu 0.5 ignores an error thrown
 * in a `before` hook (the suite shows "(0 / N)" and nothing else). Here the
 * error is printed once, and every test of the suite fails with it, so the
 * runner counts the failures and says why.
 */
import type { Test } from 'uvu';

export function setup(test: Test, fn: () => Promise<void> | void): void {
  test.before(async () => {
    try {
      await fn();
    } catch (e) {
      const failure = e instanceof Error ? e : new Error(String(e));
      setupFailure = failure;
      process.stdout.write(`\nSETUP FAILED: ${failure.message}\n${failure.stack ?? ''}\n`);
    }
  });
}

/** The setup failure of this suite (one suite per process), which every test then fails with. */
let setupFailure: Error | undefined;

export function failedSetup(): Error | undefined {
  return setupFailure;
}
