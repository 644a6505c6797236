/**
 * A suite's setup that cannot be swallowed: uvu 0.5 ignores an error thrown
 * in a `before` hook (the suite shows "(0 / N)" and nothing else). Here the
 * error is printed once, and every test of the suite fails with it, so the
 * runner counts the failures and says why.
 */
import type { Test } from 'uvu';

export function setup(test: Test, fn: () => Promise<void> | void): void {
  let failure: Error | undefined;
  test.before(async () => {
    try {
      await fn();
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
      process.stdout.write(`\nSETUP FAILED: ${failure.message}\n${failure.stack ?? ''}\n`);
    }
  });
  test.before.each(() => {
    if (failure) throw new Error(`the suite's setup failed: ${failure.message}`);
  });
}
