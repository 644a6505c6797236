/**
 * The template module under real ansible-playbook and under jitsi-fleet, on
 * localhost: one table of templates (whitespace control, trim_blocks,
 * lstrip_blocks, newline_sequence, loops, blocks, filters) rendered by both
 * tools into files with the same starting state; the bytes and the changed
 * flags must be equal, and a second run changes nothing in either.
 */
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import { setup } from '../helpers/suite.ts';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { runTwins, twinProject } from '../helpers/twins.ts';

interface TemplateCase {
  name: string;
  source: string;
  args?: Record<string, unknown>;
  /** The destination's content before the run (null: absent). */
  initial?: string | null;
}

const VARS = {
  bridges: ['jvb1', 'jvb2', 'jvb3'],
  opts: { port: 5347, secure: true },
  extra: 'location = /http-bind {\n    proxy_pass http://127.0.0.1:5280/http-bind;\n}\n',
  multiline: 'one\ntwo\n',
  empty: '',
};

const CASES: TemplateCase[] = [
  { name: 'block tags eat their newline (trim_blocks, the default)', source: '{% if opts.secure %}\nsecure\n{% endif %}\n{% for b in bridges %}\n{{ b }}\n{% endfor %}\n' },
  { name: 'trim_blocks off keeps the newline after each tag', source: '{% if opts.secure %}\nsecure\n{% endif %}\n{% for b in bridges %}\n{{ b }}\n{% endfor %}\n', args: { trim_blocks: false } },
  { name: 'lstrip_blocks strips the indent before block tags', source: 'http {\n    {% for b in bridges %}\n    server {{ b }};\n    {% endfor %}\n}\n', args: { lstrip_blocks: true } },
  { name: 'indented block tags without lstrip_blocks keep their indent', source: 'http {\n    {% for b in bridges %}\n    server {{ b }};\n    {% endfor %}\n}\n' },
  { name: 'newline_sequence \\r\\n: the template\'s own newlines, values keep theirs', source: 'a\n{{ multiline }}b\n', args: { newline_sequence: '\r\n' } },
  { name: 'whitespace control with - on both sides', source: 'list:\n{%- for b in bridges -%}\n {{ b }}\n{%- endfor %}\nend\n' },
  { name: 'indent of a value ending in a newline (blank lines stay empty)', source: 'server {\n    {{ extra | indent(4) }}\n}\n' },
  { name: 'indent with first', source: '{{ extra | indent(2, true) }}' },
  { name: 'loop.index, loop.last, join and default', source: '{% for b in bridges %}{{ loop.index }}={{ b }}{{ "," if not loop.last }}{% endfor %}\n{{ bridges | join(" ") }} {{ missing | default("none") }} {{ opts.port ~ "/tcp" }}\n' },
  { name: 'a block with whitespace control inside', source: '{% block main -%}\n  body {{ opts.port }}\n{%- endblock %}\nafter\n' },
  { name: 'no newline at the end is kept as it is', source: 'last line {{ opts.port }}' },
  { name: 'an empty value and an empty if', source: '[{{ empty }}]\n{% if empty %}\nnever\n{% endif %}\ndone\n' },
  { name: 'an included template loses its last newline', source: 'Hello {% include "world.txt" %}!\n' },
  { name: 'blank lines at the end are kept', source: 'a {{ opts.port }}\n\n\n' },
  { name: 'trim_blocks off with a block tag last: one newline dropped, as Jinja reads it', source: 'x\n{% if true %}y{% endif %}\n\n', args: { trim_blocks: false } },
  { name: 'string escapes in a template file are decoded ("\\t", "\\x41"); an unknown one ("\\d") is kept', source: '{{ "a\\tb" }}|{{ "\\x41\\u00e9" }}|{{ "x12y" | regex_replace("\\d+", "N") }}|{% set s = "p\\tq" %}{{ s | length }}\n' },
  { name: 'an unchanged file is not changed', source: 'same {{ opts.port }}\n', initial: 'same 5347\n' },
  { name: 'a file with other content is replaced', source: 'new {{ opts.port }}\n', initial: 'old\n' },
];

let work = '';

async function prepare(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'templates'), { recursive: true });
  await mkdir(path.join(dir, 'out'), { recursive: true });
  await writeFile(path.join(dir, 'templates', 'world.txt'), 'world\n');
  await Promise.all(
    CASES.flatMap((c, i) => [
      writeFile(path.join(dir, 'templates', `case${i}.j2`), c.source),
      c.initial === undefined || c.initial === null ? Promise.resolve() : writeFile(path.join(dir, 'out', `case${i}`), c.initial),
    ]),
  );
  const tasks = CASES.map((c, i) => ({ name: `case ${i}: ${c.name}`, template: { src: `case${i}.j2`, dest: path.join(dir, 'out', `case${i}`), ...c.args } }));
  await writeFile(path.join(dir, 'play.yml'), stringify([{ name: 'templates', hosts: 'all', gather_facts: false, vars: VARS, tasks }]));
}

const contents = (dir: string) => Promise.all(CASES.map((_, i) => readFile(path.join(dir, 'out', `case${i}`), 'latin1').catch(() => null)));


setup(test, async () => {
  work = await twinProject('jf-templates-', prepare);
});

test.after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('every template of the table: the same bytes and changed flags as ansible-playbook', async () => {
  const { a, j } = await runTwins(work);
  const [aFiles, jFiles] = await Promise.all([contents(path.join(work, 'ansible')), contents(path.join(work, 'fleet'))]);
  const differ: string[] = [];
  CASES.forEach((c, i) => {
    const label = `case ${i} (${c.name})`;
    assert.ok(aFiles[i] !== null, `${label}: ansible wrote the file`);
    if (jFiles[i] !== aFiles[i]) differ.push(`${label}: bytes ${JSON.stringify(jFiles[i])}, ansible-playbook ${JSON.stringify(aFiles[i])}`);
    if (j.plays[0].tasks[i].hosts.localhost.changed !== Boolean(a.plays[0].tasks[i].hosts.localhost.changed)) differ.push(`${label}: changed`);
  });
  assert.equal(differ, [], differ.join('\n'));
});

test('a second run changes nothing under either tool', async () => {
  const { a, j } = await runTwins(work);
  assert.is(a.stats.localhost.changed, 0);
  assert.is(j.stats.localhost.changed, 0);
});

test.run();
