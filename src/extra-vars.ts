/** `-e KEY=VALUE`, `-e 'a=1 b=2'`, `-e @vars.yml`, `-e '{"json": true}'`, as ansible-playbook reads them. */
import { InputError } from './errors.ts';
import type { Vars } from './inventory/model.ts';
import { loadVarsFile } from './inventory/vars-dirs.ts';
import { parseKv } from './util/kv.ts';
import { parseYaml } from './yaml/source.ts';

export async function parseExtraVars(values: string[]): Promise<Vars> {
  const out: Vars = {};
  for (const v of values) {
    const text = v.trim();
    if (text.startsWith('@')) {
      Object.assign(out, await loadVarsFile(text.slice(1)));
    } else if (text.startsWith('{')) {
      const data = parseYaml(text, '-e');
      if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new InputError(`-e ${text}: expected a mapping`);
      Object.assign(out, data);
    } else {
      const kv = parseKv(text);
      if ('_raw_params' in kv) {
        throw new InputError(`-e ${JSON.stringify(text)}: expected KEY=VALUE, @FILE.yml or a JSON mapping`);
      }
      Object.assign(out, kv);
    }
  }
  return out;
}
