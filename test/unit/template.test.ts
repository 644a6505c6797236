/** Templating: native values, lazy variables, filters this field uses, undefined errors that name the variable. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { condition, renderString } from '../../src/template/templar.ts';
import { scope } from '../../src/engine/vars.ts';

const vars = scope([
  {
    domain: 'meet.example.com',
    bridges: ['jvb2', 'jvb3'],
    sub: 'videobridge2',
    jid: '{{ sub }}.{{ domain }}',
    cfg: 'JVB_HOSTNAME=meet\nJVB_SECRET=a@b#c\n',
    n: '5',
    hostvars: { jvb2: { ansible_host: '198.51.100.11' } },
    empty: '',
  },
]);

const cases: [string, unknown][] = [
  ['{{ bridges }}', ['jvb2', 'jvb3']],
  ['{{ jid }}', 'videobridge2.meet.example.com'],
  ["admins = {{ bridges | map('regex_replace', '^(.*)$', '\"\\\\1.meet\"') | join(', ') }}", 'admins = "jvb2.meet", "jvb3.meet"'],
  ["{{ cfg | regex_search('JVB_SECRET=(.*)', '\\\\1') | first }}", 'a@b#c'],
  ["{{ cfg | regex_replace('(?m)^JVB_SECRET=.*$', 'JVB_SECRET=x') }}", 'JVB_HOSTNAME=meet\nJVB_SECRET=x\n'],
  ["{{ 'abc' | b64encode | b64decode }}", 'abc'],
  ['{{ n | int + 1 }}', 6],
  ["{{ 'yes' | bool }}", true],
  ['{{ missing | default("fallback") }}', 'fallback'],
  ['{{ empty | default("fb", true) }}', 'fb'],
  ["{{ hostvars['jvb2'].ansible_host }}", '198.51.100.11'],
  ['{{ {"a": 1} | to_json }}', '{"a":1}'],
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

test('values printed inside text as Jinja2 prints them: True/False, Python lists and dicts, None as nothing', () => {
  const vars: Record<string, unknown> = { t: true, f: false, l: ['a', 1, null, true], d: { k: "it's", n: [1] }, none: null };
  const lookup = (n: string) => vars[n];
  assert.is(renderString('{{ t }}/{{ f }}', lookup), 'True/False');
  assert.is(renderString('l={{ l }}', lookup), "l=['a', 1, None, True]");
  assert.is(renderString('d={{ d }}', lookup), `d={'k': "it's", 'n': [1]}`);
  assert.is(renderString('[{{ none }}]', lookup), '[]');
  assert.equal(renderString('{{ l }}', lookup), ['a', 1, null, true], 'a lone expression keeps its native value');
});

test.run();
