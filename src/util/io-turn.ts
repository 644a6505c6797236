/**
 * Lets I/O callbacks run during long synchronous work (reading and checking a
 * large playbook) so that the SSH handshakes started early go on meanwhile:
 * yields to the event loop when `ms` have passed since the last turn.
 */
let last = performance.now();

export async function ioTurn(ms = 4): Promise<void> {
  const now = performance.now();
  if (now - last < ms) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  last = performance.now();
}
