/** JITSI_FLEET_PERSIST, read when a run starts (connection/persist.ts keeps the connections). */
import { InputError } from '../errors.ts';

/** Seconds a connection is kept after its last use (JITSI_FLEET_PERSIST; 0: runs connect on their own). */
export function persistSeconds(): number {
  const v = process.env.JITSI_FLEET_PERSIST;
  if (v === undefined || v === '') return 60;
  if (!/^\d+$/.test(v.trim())) throw new InputError(`JITSI_FLEET_PERSIST must be a number of seconds (0 turns kept connections off); got '${v}'`);
  return Number(v);
}
