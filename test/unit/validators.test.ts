/**
 * The validators compiled at build time (scripts/build-validators.mjs): one
 * for every schema a run checks against, and each gives the same verdict and
 * the same errors as ajv compiling the schema at run time.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';
import { catalog } from '../../src/modules/index.ts';
import { looseSchema } from '../../src/playbook/args.ts';
import { playSchema, taskSchema } from '../../src/playbook/schema.ts';
import { inventorySchema } from '../../src/inventory/schema.ts';
import { AJV_OPTIONS, EXTRA_KEYWORDS, schemaKey, validator } from '../../src/yaml/schema-check.ts';

const require = createRequire(import.meta.url);
const DIR = path.join(ROOT, 'dist', 'src', 'yaml', 'validators');
const schemas: [string, object][] = [['play', playSchema], ['task', taskSchema], ['inventory', inventorySchema]];
for (const name of catalog.names().filter((n) => !n.includes('.'))) {
  const mod = catalog.find(name)!;
  schemas.push([name, mod.schema], [`${name} (before templating)`, looseSchema(mod.schema as Record<string, unknown>)]);
}

test('every schema a run checks against was compiled at build time', () => {
  const missing = schemas.filter(([, s]) => !existsSync(path.join(DIR, `${schemaKey(s)}.cjs`))).map(([n]) => n);
  assert.equal(missing, [], 'run `npm run build`: scripts/build-validators.mjs compiles them');
});

test('a validator compiled ahead gives the verdict and errors of one compiled now', () => {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv(AJV_OPTIONS);
  for (const k of EXTRA_KEYWORDS) ajv.addKeyword(k);
  const samples: [string, object, unknown][] = [
    ['lineinfile', catalog.find('lineinfile')!.schema, { path: '/x', line: 'a', state: 'sideways' }],
    ['lineinfile', catalog.find('lineinfile')!.schema, { path: '/x', bogus: 1 }],
    ['uri', catalog.find('uri')!.schema, { url: 'https://x' }],
    ['service', catalog.find('service')!.schema, { name: 'x' }],
    ['hocon', catalog.find('hocon')!.schema, { path: '/x', key: 'a.b', value: 1 }],
    ['task', taskSchema, { name: 1, until: 'x', retries: [] }],
    ['play', playSchema, { hosts: 'all', serial: 0 }],
  ];
  for (const [name, schema, data] of samples) {
    const ahead = validator(schema);
    const now = ajv.compile(schema);
    const a = structuredClone(data);
    const b = structuredClone(data);
    assert.is(ahead(a), now(b), `${name}: same verdict for ${JSON.stringify(data)}`);
    assert.equal(ahead.errors ?? null, now.errors ?? null, `${name}: same errors`);
    assert.equal(a, b, `${name}: same defaults filled in`);
  }
});

test.run();
