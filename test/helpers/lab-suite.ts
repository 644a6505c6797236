/**
 * Starting a lab for a test file: skipped (with the reason) where no lab can
 * start, except under CI=true, where that fails the run.
 */
import { Lab, labProblem } from '../lab/lab.ts';

export async function labOrSkip(): Promise<string | undefined> {
  const problem = await labProblem();
  if (!problem) return undefined;
  const ci = process.env.CI && process.env.CI !== 'false';
  if (ci) throw new Error(`the lab cannot start, and CI=true requires it: ${problem}`);
  console.log(`lab tests skipped: ${problem}`);
  return problem;
}

export { Lab };
