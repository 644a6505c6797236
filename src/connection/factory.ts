/** Picks the connection for a host from its variables: `local`, or `ssh` (the default). */
import { ConnectionError } from '../errors.ts';
import type { Lookup } from '../template/templar.ts';
import { LocalConnection } from './local.ts';
import type { Connection } from './types.ts';

export function connectionFor(host: string, vars: Lookup): Connection {
  const kind = String(vars('ansible_connection') ?? (host === 'localhost' ? 'local' : 'ssh'));
  if (kind === 'local') return new LocalConnection(host);
  if (kind === 'ssh' || kind === 'paramiko' || kind === 'smart') {
    return {
      host,
      commandsSent: 0,
      connect: async () => {
        throw new ConnectionError(`${host}: the SSH transport is not available in this build`);
      },
      close: async () => {},
    } as unknown as Connection;
  }
  throw new ConnectionError(`${host}: ansible_connection '${kind}' is not supported (use ssh or local)`);
}
