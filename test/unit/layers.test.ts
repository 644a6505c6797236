/**
 * The house as drawn (CONTRIBUTING.md): which layer may import which. Every
 * import of every file under src/ is checked; a forbidden one fails with the
 * file, the import and the rule it breaks.
 *
 *   cli → config (yaml, inventory, playbook, template), engine, output
 *   engine → modules, the connection interface, events
 *   modules → read-only host files and the connection interface (types), never
 *             a concrete connection, the engine or output
 *   output ← events only
 *   nothing in src → test
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/cli.ts';

interface Rule {
  from: RegExp;
  forbid: RegExp;
  why: string;
}

const CONCRETE_CONNECTION = /^src\/connection\/(?!types\.ts$)/;

export const RULES: Rule[] = [
  { from: /^src\//, forbid: /^test\/|^bench\//, why: 'nothing in src imports tests or benchmarks' },
  { from: /^src\/modules\//, forbid: /^src\/(engine|output|playbook|inventory)\/|^src\/cli\.ts$/, why: 'modules plan from read-only host files; never the engine, output or the loader' },
  { from: /^src\/modules\//, forbid: CONCRETE_CONNECTION, why: 'modules use the connection interface (connection/types.ts), never a concrete connection' },
  { from: /^src\/engine\//, forbid: /^src\/output\/|^src\/inventory\/(?!model\.ts$|pattern\.ts$)|^src\/cli\.ts$/, why: 'the engine reports through events; it does not render output or load inventories (it selects hosts in the loaded model)' },
  { from: /^src\/engine\//, forbid: CONCRETE_CONNECTION, why: 'the engine uses the connection interface; the CLI picks the concrete connection' },
  { from: /^src\/engine\//, forbid: /^src\/modules\/(?!types\.ts$)/, why: 'the engine gets each task\'s resolved module from the loaded playbook, not from the registry' },
  { from: /^src\/output\//, forbid: /^src\/(?!output\/|events\/|util\/|errors\.ts$)/, why: 'output depends on events only' },
  { from: /^src\/events\//, forbid: /^src\/(?!events\/|util\/|errors\.ts$)/, why: 'events are the shared vocabulary: they depend on nothing else' },
  { from: /^src\/connection\//, forbid: /^src\/(engine|modules|output|playbook|inventory|template|yaml)\/|^src\/cli\.ts$/, why: 'connections know hosts and shells, nothing of playbooks' },
  { from: /^src\/(inventory|yaml)\//, forbid: /^src\/(playbook|engine|modules|output|connection|template)\/|^src\/cli\.ts$/, why: 'inventories and YAML are read without playbooks or hosts' },
  { from: /^src\/template\//, forbid: /^src\/(playbook|engine|modules|output|connection|inventory)\/|^src\/cli\.ts$/, why: 'templating knows variables only' },
  { from: /^src\/playbook\//, forbid: /^src\/(engine|output|connection)\/|^src\/modules\/(?!types\.ts$)|^src\/cli\.ts$/, why: 'the loader gets the module catalog from the CLI; it never runs anything' },
  { from: /^src\/util\//, forbid: /^src\/(?!util\/)/, why: 'util depends on nothing of the project' },
  { from: /^src\/hocon\//, forbid: /^src\/(?!hocon\/)/, why: 'the HOCON reader and editor is a format library: it depends on nothing' },
  { from: /^src\/fleet\//, forbid: /^src\/(engine|modules|output|playbook|template|yaml)\/|^src\/cli\.ts$/, why: 'fleet commands (status) read hosts through the connection interface; they run no playbook' },
  { from: /^src\/fleet\//, forbid: CONCRETE_CONNECTION, why: 'fleet commands get their connections from the CLI' },
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const full = path.join(dir, n);
    return statSync(full).isDirectory() ? files(full) : n.endsWith('.ts') ? [full] : [];
  });
}

/** Every project file a source file imports (static and dynamic, types included), relative to the root. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => path.relative(ROOT, path.resolve(path.dirname(file), s)));
}

export function violations(rules: Rule[], graph: [string, string[]][]): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      for (const r of rules) if (r.from.test(from) && r.forbid.test(to)) out.push(`${from} imports ${to}: ${r.why}`);
    }
  }
  return out;
}

test('every import under src/ keeps to the layers', () => {
  const graph = files(path.join(ROOT, 'src')).map((f) => [path.relative(ROOT, f), importsOf(f)] as [string, string[]]);
  assert.ok(graph.length > 50, `read ${graph.length} files`);
  const bad = violations(RULES, graph);
  assert.equal(bad, [], `\n${bad.join('\n')}`);
});

test('the check can fail: a module importing the SSH connection, output importing the engine', () => {
  const bad = violations(RULES, [
    ['src/modules/x.ts', ['src/connection/ssh.ts', 'src/connection/types.ts']],
    ['src/output/y.ts', ['src/engine/run.ts', 'src/events/events.ts']],
    ['src/engine/z.ts', ['test/helpers/cli.ts']],
  ]);
  assert.equal(bad.map((b) => b.split(':')[0]), ['src/modules/x.ts imports src/connection/ssh.ts', 'src/output/y.ts imports src/engine/run.ts', 'src/engine/z.ts imports test/helpers/cli.ts']);
});

test.run();
