/** Picks the connection for a host from its variables: `local`, or `ssh` (the default). */
import { ConnectionError } from '../errors.ts';
import type { Lookup } from '../util/lookup.ts';
import { LocalConnection } from './local.ts';
import { SshConnection } from './ssh.ts';
import { resolveTarget, type SshSettings } from './ssh-target.ts';
import type { Connection } from './types.ts';

export function connectionFactory(settings: SshSettings = {}): (host: string, vars: Lookup) => Connection {
  return (host, vars) => {
    const kind = String(vars('ansible_connection') ?? (host === 'localhost' ? 'local' : 'ssh'));
    if (kind === 'local') return new LocalConnection(host);
    if (kind === 'ssh' || kind === 'paramiko' || kind === 'smart') return new SshConnection(resolveTarget(host, vars, settings));
    throw new ConnectionError(`${host}: ansible_connection '${kind}' is not supported (use ssh or local)`);
  };
}
