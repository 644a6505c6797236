/** Templating: native values, lazy variables, filters this field uses, undefined errors that name the variable. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { condition, queryLookup, renderString } from '../../src/template/templar.ts';
import { scope } from '../../src/engine/vars.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const vars = scope([
  {
    domain: 'meet.example.com',
    bridges: ['jvb2', 'jvb3'],
    sub: 'videobridge2',
    jid: '{{ sub }}.{{ domain }}',
    cfg: 'JVB_HOSTNAME=meet\nJVB_SECRET=a@b#c\n',
    people: [{ name: 'ann', age: 41 }, { name: 'bob', age: 25 }],
    n: '5',
    hostvars: { jvb2: { ansible_host: '198.51.100.11' } },
    empty: '',
  },
]);

const cases: [string, unknown][] = [
  ['{{ bridges }}', ['jvb2', 'jvb3']],
  ['{{ jid }}', 'videobridge2.meet.example.com'],
  // As a playbook's value after YAML ("\\1" in double quotes): backslashes inside {{ }} are kept as written, as Ansible's.
  ["admins = {{ bridges | map('regex_replace', '^(.*)$', '\"\\1.meet\"') | join(', ') }}", 'admins = "jvb2.meet", "jvb3.meet"'],
  ["{{ 'x' | regex_replace('x', '\\\\1') }}", '\\1'],
  ["{{ cfg | regex_search('JVB_SECRET=(.*)', '\\1') | first }}", 'a@b#c'],
  ["{{ cfg | regex_replace('(?m)^JVB_SECRET=.*$', 'JVB_SECRET=x') }}", 'JVB_HOSTNAME=meet\nJVB_SECRET=x\n'],
  // json_query: JMESPath (the examples of its specification; Ansible's python here lacks jmespath to compare with).
  ["{{ people | json_query('[?age > `30`].name') }}", ['ann']],
  ["{{ people | json_query('[*].{n: name, a: age}') | length }}", 2],
  ["{{ {'a': {'b': [1, 2]}} | json_query('a.b[-1]') }}", 2],
  ["{{ 'abc' | b64encode | b64decode }}", 'abc'],
  ['{{ n | int + 1 }}', 6],
  ["{{ 'yes' | bool }}", true],
  ['{{ missing | default("fallback") }}', 'fallback'],
  ['{{ empty | default("fb", true) }}', 'fb'],
  ["{{ hostvars['jvb2'].ansible_host }}", '198.51.100.11'],
  // Python's json.dumps, as Ansible's to_json: ', ' and ': ' between items, non-ASCII escaped.
  ['{{ {"a": 1, "b": ["é", none]} | to_json }}', '{"a": 1, "b": ["\\u00e9", null]}'],
  ['{{ {"b": 1, "a": {}} | to_nice_json }}', '{\n    "a": {},\n    "b": 1\n}'],
  ["{{ '{\"a\": [1]}' | from_json }}", { a: [1] }],
  ['{{ "  x  " | trim | upper }}', 'X'],
  ['{{ bridges | length }}', 2],
  ['{{ domain.split(".") | first }}', 'meet'],
  ['{{ "a" ~ "b" }}', 'ab'],
  ['{{ "x" if bridges else "y" }}', 'x'],
  ['plain text', 'plain text'],
];

for (const [src, want] of cases) {
  test(`render ${src}`, () => {
    assert.equal(renderString(src, vars), want);
  });
}

test('an undefined variable is an error naming it', () => {
  assert.throws(() => renderString('x={{ nope }}', vars), /'nope' is undefined/);
  assert.throws(() => renderString('{{ hostvars.jvb9.ansible_host }}', vars), /'hostvars\.jvb9' is undefined/);
});

test('conditions: Ansible truthiness, tests, guarded undefined', () => {
  assert.is(condition('bridges | length > 1', vars), true);
  assert.is(condition('missing is defined', vars), false);
  assert.is(condition("domain is match('meet')", vars), true);
  assert.is(condition('"jvb3" in bridges', vars), true);
  assert.is(condition(false, vars), false);
  assert.throws(() => condition('missing == 1', vars), /'missing' is undefined/);
});

test('variables refer to each other lazily; a cycle is an error', () => {
  const cyc = scope([{ a: '{{ b }}', b: '{{ a }}' }]);
  assert.throws(() => cyc('a'), /recursive loop/);
});

test("Jinja2's x.0 for an index, in expressions and conditions, never inside strings", () => {
  const vars: Record<string, unknown> = { r: { results: [{ stdout: 'out' }, { stdout: 'two' }] }, x: ['a', 'b'] };
  const lookup = (n: string) => vars[n];
  assert.is(renderString('{{ r.results.1.stdout }}', lookup), 'two');
  assert.is(renderString("{{ x.0 ~ '.0' ~ x.1 }}", lookup), 'a.0b');
  assert.is(renderString('{{ 1.5 + 1 }}', lookup), 2.5, 'a float stays a float');
  assert.ok(condition("r.results.0.stdout == 'out'", lookup));
  assert.is(renderString('text x.0 stays', lookup), 'text x.0 stays');
});

test("indent as Jinja2 3's: blank lines (and the end after a last newline) stay empty; first, blank, a text width", () => {
  const vars: Record<string, unknown> = { t: 'a {\n  b;\n\n}\n' };
  const lookup = (n: string) => vars[n];
  assert.is(renderString('{{ t | indent(4) }}', lookup), 'a {\n      b;\n\n    }\n');
  assert.is(renderString('{{ t | indent(2, true) }}', lookup), '  a {\n    b;\n\n  }\n');
  assert.is(renderString('{{ t | indent(2, first=True, blank=True) }}', lookup), '  a {\n    b;\n  \n  }\n  ');
  assert.is(renderString("{{ t | indent('> ') }}", lookup), 'a {\n>   b;\n\n> }\n');
});

test("Python's *args in calls (a lookup, a filter), the format filter's printf-style formatting, now()", () => {
  const vars: Record<string, unknown> = { words: ['a', 'b'], one: 'x' };
  const lookup = (n: string) => vars[n];
  assert.equal(renderString('{{ q("list", *words) }}', lookup), ['a', 'b']);
  assert.equal(renderString('{{ lookup("list", wantlist=True, *words) }}', lookup), ['a', 'b']);
  assert.is(renderString('{{ "%s-%s" | format(*words) }}', lookup), 'a-b');
  assert.is(renderString('{{ 2 * 3 }}', lookup), 6, 'multiplication is untouched');
  // The results Python's jinja2 gives for the same templates.
  assert.is(renderString('{{ "%05.1f|%-4d|%x|%r|%s" | format(3.14159, 7, 255, "q", [1, "a"]) }}', lookup), "003.1|7   |ff|'q'|[1, 'a']");
  assert.is(renderString('{{ "%(a)s=%(b)d" | format(a="k", b=3) }}', lookup), 'k=3');
  assert.is(renderString('{{ "%3s|%%" | format("x") }}', lookup), '  x|%');
  // Ansible's now(): a datetime (strftime, timestamp) or, with fmt, text.
  const year = String(new Date().getFullYear());
  assert.is(renderString('{{ now().strftime("%Y") }}', lookup), year);
  assert.is(renderString("{{ now(fmt='%Y') }}", lookup), year);
  assert.match(String(renderString("{{ now(fmt='%s.%f') }}", lookup)), /^\d{10}\.\d{6}$/);
  assert.match(String(renderString('{{ now() }}', lookup)), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.ok(Math.abs(Number(renderString('{{ now().timestamp() }}', lookup)) - Date.now() / 1000) < 5);
  assert.throws(() => renderString('{{ q("list", *nothing) }}', () => null), /argument after \* must be an iterable/);
});

test('values printed inside text as Jinja2 prints them: True/False, Python lists and dicts, None as nothing', () => {
  const vars: Record<string, unknown> = { t: true, f: false, l: ['a', 1, null, true], d: { k: "it's", n: [1] }, none: null };
  const lookup = (n: string) => vars[n];
  assert.is(renderString('{{ t }}/{{ f }}', lookup), 'True/False');
  assert.is(renderString('l={{ l }}', lookup), "l=['a', 1, None, True]");
  assert.is(renderString('d={{ d }}', lookup), `d={'k': "it's", 'n': [1]}`);
  assert.is(renderString('n=[{{ none }}]', lookup), 'n=[]');
  assert.equal(renderString('[{{ none }}]', lookup), [], 'text that reads as a Python list becomes one (Ansible 2.14)');
  assert.equal(renderString('{{ l }}\n', lookup), ['a', 1, null, true], 'with a trailing newline too');
  assert.is(renderString('[section]\nx={{ t }}', lookup), '[section]\nx=True', 'text that is no literal stays text');
  assert.is(renderString(' [{{ t }}]', lookup), ' [True]', "a leading space keeps text as text (Ansible's startswith)");
  assert.equal(renderString('{{ l }}', lookup), ['a', 1, null, true], 'a lone expression keeps its native value');
});

test("unique and the set filters as Ansible 2.14's: by value, case, dict keys, strings' characters, their errors", () => {
  const lookup = () => undefined;
  const r = (src: string) => renderString(src, lookup);
  assert.equal(r('{{ [1,2,3,4,4,3,2,1] | unique }}'), [1, 2, 3, 4]);
  assert.equal(r('{{ [{"a": 1}, {"a": 1}, {"b": 2}] | unique }}'), [{ a: 1 }, { b: 2 }], 'dicts by value');
  assert.equal(r('{{ {"foo": 1, "moo": 2} | unique }}'), ['foo', 'moo'], "a dict's keys");
  assert.equal(r('{{ "foo" | unique }}'), ['f', 'o'], "a string's characters");
  assert.equal(r('{{ ["a", "b", "A", "B"] | unique }}'), ['a', 'b'], 'without case by default (Jinja)');
  assert.equal(r('{{ ["a", "b", "A", "B"] | unique(case_sensitive=True) }}'), ['a', 'b', 'A', 'B']);
  assert.equal(r('{{ [{"f": 1, "m": 2}, {"f": 1, "m": 3}] | unique(attribute="f") }}'), [{ f: 1, m: 2 }]);
  assert.equal(r('{{ [1, true, 1.0] | unique }}'), [1], 'True == 1 == 1.0, as Python hashes them');
  assert.throws(() => r('{{ [{"a": 1}] | unique(case_sensitive=False) }}'), /cannot fall back to Ansible's version/);
  assert.throws(() => r('{{ True | unique }}'), /'bool' object is not iterable/);
  assert.equal(r('{{ [[1], [2], [1]] | difference([[2]]) }}'), [[1]], 'lists by value, then unique');
  assert.equal(r('{{ [1, 2, 2, 3] | intersect([3, 2]) }}'), [2, 3]);
  assert.equal(r('{{ [1, 2] | union([2, 3, 3]) }}'), [1, 2, 3]);
  assert.equal(r('{{ [1, 2] | symmetric_difference([2, 3]) }}'), [1, 3]);
});

test("fileglob (filter): the controller's files a pattern names, wildcards in folders too, no hidden names, no folders", () => {
  const d = mkdtempSync(path.join(tmpdir(), 'jf-glob-'));
  try {
    for (const f of ['a/one.txt', 'a/two.txt', 'a/.hidden.txt', 'b/three.txt', 'b/sub/x.txt']) {
      mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
      writeFileSync(path.join(d, f), '');
    }
    const r = (src: string) => renderString(src, (n) => (n === 'd' ? d : undefined));
    assert.equal(r("{{ (d + '/a/*') | fileglob | map('basename') | list }}"), ['one.txt', 'two.txt']);
    assert.equal(r("{{ (d + '/*/*.txt') | fileglob | map('basename') | list }}"), ['one.txt', 'two.txt', 'three.txt']);
    assert.equal(r("{{ (d + '/b/*') | fileglob | map('basename') | list }}"), ['three.txt'], 'a folder is no file');
    assert.equal(r("{{ (d + '/nowhere/*') | fileglob }}"), []);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test("a filter or test named at run time that does not exist: Ansible's words, then what it means", () => {
  const r = (src: string) => renderString(src, () => undefined);
  assert.throws(() => r('{{ [{"a": 1}] | selectattr("a", "asdf ", true) }}'), (e: Error) => e.message.includes(`TemplateSyntaxError: Could not load "asdf ": 'invalid plugin name: ansible.builtin.asdf '`) && e.message.includes('no test named'));
  assert.throws(() => r('{{ [1] | map("nofilter") }}'), (e: Error) => e.message.includes(`Could not load "nofilter": 'nofilter' (there is no filter named "nofilter")`));
});

test("Python's comparisons: lists and dicts by value, chains, in by value, True == 1 but '1' != 1", () => {
  const vars: Record<string, unknown> = { l: ['one', 'two'], d: { a: 1 }, v: '2.14.1', s: 'false' };
  const lookup = (n: string) => vars[n];
  assert.is(condition("l == ['one', 'two']", lookup), true);
  assert.is(condition("l != ['one', 'two']", lookup), false);
  assert.is(condition("d == {'a': 1}", lookup), true);
  assert.is(condition("d == {'a': 2}", lookup), false);
  assert.is(condition('1 < 2 < 3', lookup), true);
  assert.is(condition('3 > 2 > 5', lookup), false, 'a chain is a < b and b < c, not (a < b) < c');
  assert.is(condition('[1, 2] in [[1, 2]]', lookup), true);
  assert.is(condition("'1' == 1", lookup), false);
  assert.is(condition('true == 1', lookup), true);
  assert.is(condition('[1, 2] < [1, 3]', lookup), true);
  assert.throws(() => condition("1 < 'a'", lookup), /not supported between instances of 'int' and 'str'|not supported/);
  assert.is(condition("v is version('2.14', '>=')", lookup), true, 'a test with two arguments');
  assert.is(condition("'ABC' is match('abc', ignorecase=True)", lookup), true, 'keyword arguments are no variables');
  assert.is(condition('s', lookup), true, 'a bare non-empty string is true, "false" too (Jinja)');
  assert.is(condition('{{ s }}', lookup), false, 'a rendered "false" is read again as false');
});

test('lookups and with_ loops: sequence, dict, together, nested, subelements, indexed_items, pipe, vars', () => {
  const vars: Record<string, unknown> = { d: { a: 1, b: 2 }, users: [{ name: 'x', g: ['1', '2'] }, { name: 'y', g: [] }] };
  const lookup = (n: string) => vars[n];
  assert.equal(queryLookup('sequence', ['start=1 end=3 format=h%02d'], lookup), ['h01', 'h02', 'h03']);
  assert.equal(queryLookup('sequence', ['count=3 start=10 stride=5'], lookup), ['10', '15', '20']);
  assert.equal(queryLookup('sequence', ['4-8/2'], lookup), ['4', '6', '8']);
  assert.throws(() => queryLookup('sequence', ['start=5 end=1'], lookup), /stride negative/);
  assert.equal(queryLookup('dict', [vars.d], lookup), [{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
  assert.equal(queryLookup('together', [[1, 2], ['a']], lookup), [[1, 'a'], [2, null]]);
  assert.equal(queryLookup('nested', [[1, 2], ['a', 'b']], lookup), [[1, 'a'], [1, 'b'], [2, 'a'], [2, 'b']]);
  // As Ansible's plugin, the list is taken out of the item it gives back (item.0 has no 'g'); the variable keeps it.
  const { g: _list, ...withoutList } = (vars.users as any)[0];
  assert.equal(queryLookup('subelements', [vars.users, 'g'], lookup), [[withoutList, '1'], [withoutList, '2']]);
  assert.ok(Array.isArray((vars.users as any)[0].g), 'the variable is not changed');
  assert.equal(queryLookup('indexed_items', [['a', 'b']], lookup), [[0, 'a'], [1, 'b']]);
  assert.equal(queryLookup('items', [1, [2, [3]]], lookup), [1, 2, [3]], 'items flattens one level');
  assert.is(renderString("{{ lookup('pipe', 'printf \"a\\nb\\n\"') }}", lookup), 'a\nb');
  assert.equal(renderString("{{ query('vars', 'd') }}", lookup), [{ a: 1, b: 2 }]);
  assert.is(renderString("{{ lookup('sequence', 'count=3') }}", lookup), '1,2,3', 'lookup joins strings with commas');
  assert.equal(renderString("{{ lookup('sequence', 'count=2', wantlist=True) }}", lookup), ['1', '2']);
  assert.throws(() => renderString("{{ lookup('nope', 1) }}", lookup), /lookup plugin 'nope' is not supported/);
});

test("Ansible's core tests: result tests want a mapping, version schemes and their errors, Python truth with convert_bool", () => {
  const lookup = (n: string) => vars(n);
  const is = (e: string) => condition(e, lookup);
  assert.throws(() => is("'nope' is failed"), /The 'failed' test expects a dictionary/);
  assert.throws(() => is("'nope' is changed"), /The 'changed' test expects a dictionary/);
  assert.ok(is("{'results': [{'changed': false}, {'changed': true}]} is changed"));
  assert.ok(is('{} is not changed'));
  assert.ok(is("{'started': 1} is started") && is('{} is finished') && is("{'finished': 0} is not finished"));
  assert.ok(is("'1.2.3' is version('2.0.0', 'lt', version_type='semver')"));
  assert.ok(is("'1.0.0-alpha.1' is version('1.0.0-alpha.beta', '<', version_type='semver')"));
  assert.ok(is("'2.14.0rc1' is version('2.14.0', 'lt', version_type='pep440')"));
  assert.ok(is("'1.0.dev1' is version('1.0a1', '<', version_type='pep440')") && is("'1.0.post1' is version('1.0', '>', version_type='pep440')"));
  assert.ok(is("'1.0' is version('1.0.0', '==', version_type='pep440')"));
  assert.ok(is("'1.10' is version('1.9', '>')") && is("'1.0a1' is version('1.0', '<', true)"));
  assert.throws(() => is("'1.0' is version('1.0', 'equals')"), /Invalid operator type \(equals\)/);
  assert.throws(() => is("'1.0' is version('nope', '==', true)"), /Version comparison failed: invalid version number 'nope'/);
  assert.throws(() => is("'1.0' is version('1.0', strict=False, version_type='loose')"), /Cannot specify both/);
  assert.throws(() => is("'' is version('1.0', '>')"), /Input version value cannot be empty/);
  assert.throws(() => is("'1.0' is version('', '>')"), /to compare against cannot be empty/);
  assert.throws(() => is("'1a' is version('1.0', '>')"), /Version comparison failed/);
  assert.ok(is('{} is not truthy') && is('[] is falsy') && is("'off' is falsy(convert_bool=True)") && is("'fred' is truthy(convert_bool=True)") && is("'off' is truthy"));
});

test.run();
