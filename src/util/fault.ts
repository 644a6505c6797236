/**
 * Fault injection for the tests of our own error handling: with
 * JITSI_FLEET_FAULT=<point>, a JavaScript TypeError (what a bug throws) is
 * raised at that point, so that the "internal error, exit 70, no stack
 * trace" path can be shown to work. Points: `task` (while a task plans on a
 * host), `engine` (in the play loop, outside any task's own handling).
 */
export function injectFault(point: 'task' | 'engine'): void {
  if (process.env.JITSI_FLEET_FAULT === point) throw new TypeError(`injected fault at '${point}' (JITSI_FLEET_FAULT)`);
}
