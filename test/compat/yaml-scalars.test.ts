/**
 * Every plain scalar rule against Ansible's own YAML loader (AnsibleLoader,
 * run with the system's Python): the same value and type for each.
 */
import { spawnSync } from 'node:child_process';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { parseYaml } from '../../src/yaml/source.ts';

const SCALARS = [
  'e1', 'e2', 'E5', '1e3', '1E3', '1.5e+3', '1.5e3', '0x1F', '0x_1f', '0o17', '017', '08', '0', '-0', '+1', '-17', '1_000', '1_0.5',
  '.5', '+.5', '0.', '-1.25', '.inf', '-.inf', '+.inf', '.Inf', '.NaN', '.nan', '0b101', '-0b11', '1:30', '-1:30:00', '1:30.5',
  'yes', 'Yes', 'YES', 'no', 'No', 'on', 'On', 'off', 'OFF', 'true', 'False', 'y', 'n', 'Y', 'N', 'yEs',
  '~', 'null', 'Null', 'NULL', 'nUll', '2001-12-14', '2001-12-14 21:59:43.10 -5', '2001-1-1', 'abc', '0.1.2', '1.2.3.4', '12:30:45',
];

function ansibleValues(): unknown[] {
  const script = `
import json, math, sys, datetime
from ansible.parsing.yaml.loader import AnsibleLoader
out = []
for s in json.load(sys.stdin):
    v = AnsibleLoader('v: ' + s).get_single_data()['v']
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        v = {'float': repr(v)}
    elif isinstance(v, (datetime.date, datetime.datetime)):
        v = {'date': s}
    elif isinstance(v, bool) or v is None or isinstance(v, (int, float)):
        pass
    else:
        v = str(v)
    out.append(v)
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(SCALARS), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Ansible's YAML loader could not run (is ansible installed? test/setup.sh installs it): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function ours(s: string): unknown {
  const v = (parseYaml(`v: ${s}`, 'table.yml') as { v: unknown }).v;
  if (typeof v === 'number' && !Number.isFinite(v)) return { float: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
  return v;
}

test('plain scalars: the same value and type as Ansible\'s YAML loader, for every rule', () => {
  const expected = ansibleValues();
  const wrong: string[] = [];
  SCALARS.forEach((s, i) => {
    let want = expected[i];
    const got = ours(s);
    if (want && typeof want === 'object' && 'date' in want) want = s; // a date object in Ansible, its text here
    const same = typeof want === typeof got && JSON.stringify(want) === JSON.stringify(got) && (typeof want !== 'number' || Number.isInteger(want) === Number.isInteger(got) || String(want) === String(got));
    if (!same) wrong.push(`${JSON.stringify(s)}: Ansible ${JSON.stringify(want)}, jitsi-fleet ${JSON.stringify(got)}`);
  });
  assert.equal(wrong, [], wrong.join('\n'));
});

test('hosts named e1, e2 stay two hosts; a value e1 stays the string e1', () => {
  const inv = parseYaml('all:\n  hosts:\n    e1:\n    e2:\n  vars:\n    x: e1\n', 'inv.yml') as any;
  assert.equal(Object.keys(inv.all.hosts), ['e1', 'e2']);
  assert.is(inv.all.vars.x, 'e1');
});

test('quoted scalars are never resolved', () => {
  const v = parseYaml(`a: "yes"\nb: '017'\nc: "~"\n`, 'q.yml') as any;
  assert.equal(v, { a: 'yes', b: '017', c: '~' });
});

test.run();
