/**
 * uri (made on the host through bash's /dev/tcp) and until/retries/delay, on
 * local hosts against a small HTTP server of the test's own (127.0.0.1):
 * the JSON shapes and failures of Ansible's uri, and retries that end when
 * the condition holds or fail after retries + 1 attempts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { hostResult, Project, statusOf } from '../helpers/project.ts';
import { inPty, STACK_TRACE } from '../helpers/pty.ts';

let p: Project;
let server: Server;
let port = 0;
let participants = 0;
const posts: { path: string; type: string | undefined; body: string }[] = [];

test.before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'POST') posts.push({ path: req.url!, type: req.headers['content-type'], body });
      if (req.url === '/colibri/stats') {
        const doc = JSON.stringify({ participants, octo_endpoints: 0 });
        participants = Math.max(0, participants - 1);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(doc);
      } else if (req.url === '/colibri/shutdown' && req.method === 'POST') {
        res.writeHead(req.headers['content-type'] === 'application/json' ? 200 : 415).end();
      } else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such thing');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  port = (server.address() as AddressInfo).port;
});
test.after(() => new Promise<void>((res) => server.close(() => res())));
test.before.each(async () => {
  p = await Project.create(['h1']);
  posts.length = 0;
});
test.after.each(async () => {
  await p.remove();
});

test('uri: a JSON POST and GET on the host; a 404 and a closed port fail as Ansible says; check mode skips it', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: shutdown
      uri:
        url: http://127.0.0.1:${port}/colibri/shutdown
        method: POST
        body_format: json
        body: { graceful-shutdown: true }
    - name: stats
      uri: url=http://127.0.0.1:${port}/colibri/stats
      register: stats
    - name: participants
      debug: { msg: "{{ stats.json.participants }} {{ stats.status }} {{ 'content' if stats.content is defined else 'no content' }}" }
    - name: missing
      uri: { url: "http://127.0.0.1:${port}/nope", return_content: true }
      register: missing
      ignore_errors: true
    - name: closed
      uri: { url: "http://127.0.0.1:1/x", timeout: 3 }
      ignore_errors: true
    - name: 404 accepted
      uri: { url: "http://127.0.0.1:${port}/nope", status_code: [200, 404] }
`);
  participants = 2;
  const r = await p.json('play.yml');
  assert.is(r.code, 0, r.stderr);
  assert.equal(posts, [{ path: '/colibri/shutdown', type: 'application/json', body: '{"graceful-shutdown":true}' }]);
  assert.is(statusOf(r.report, 'shutdown', 'h1'), 'ok', 'uri reports no change');
  assert.is(hostResult(r.report, 'participants', 'h1').msg, '2 200 no content');
  assert.is(hostResult(r.report, 'missing', 'h1').msg, 'Status code was 404 and not [200]: HTTP Error 404: Not Found');
  assert.is(hostResult(r.report, 'missing', 'h1').result.content, 'no such thing');
  assert.match(hostResult(r.report, 'closed', 'h1').msg, /^Status code was -1 and not \[200\]: Request failed: <urlopen error \[Errno 111\] Connection refused>$/);
  assert.is(hostResult(r.report, 'closed', 'h1').result.status, -1);
  assert.is(statusOf(r.report, '404 accepted', 'h1'), 'ok');
  posts.length = 0;
  const c = await p.json('play.yml', [], 'check');
  assert.is(statusOf(c.report, 'shutdown', 'h1'), 'skipped');
  assert.equal(posts, [], 'nothing sent in check mode');
});

test('until/retries/delay: runs again until the condition holds, shows each retry, registers attempts', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: wait for the participants to leave
      uri: url=http://127.0.0.1:${port}/colibri/stats
      register: stats
      until: stats.json.participants == 0
      retries: 5
      delay: 0.2
    - debug: { msg: "attempts {{ stats.attempts }}" }
`);
  participants = 3;
  const r = await p.run('play.yml', ['--output', 'plain']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is((r.stdout.match(/FAILED - RETRYING: \[h1\] wait for the participants to leave/g) ?? []).length, 3, r.stdout);
  assert.match(r.stdout, /\(5 retries left, every 0\.2 s\)/);
  assert.match(r.stdout, /\(5 retries left, every 0\.2 s\) - stats\.json\.participants=3\n/, "the retry line shows what the condition looked at");
  assert.match(r.stdout, /attempts 4/);
});

test('until that never holds: fails after retries + 1 attempts, with the reason; retries without until is refused before the run', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: never
      command: echo busy
      register: out
      until: out.stdout == 'idle'
      retries: 2
      delay: 0
`);
  const r = await p.json('play.yml');
  assert.is(r.code, 2);
  const res = hostResult(r.report, 'never', 'h1');
  assert.is(res.msg, 'the until condition did not hold after 3 attempts');
  // Ansible 2.14 registers the retries as the attempts once they run out (3 runs, attempts 2).
  assert.is(res.result.attempts, 2);
  await p.write('bad.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - command: echo x
      retries: 2
`);
  const bad = await p.run('bad.yml');
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /bad\.yml:6:7: retries and delay need until/);
});

test('wait_for: a port that answers, one that does not (Ansible\'s timeout message), a file with a matching line, a file that must go', async () => {
  await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: the server answers
      wait_for: { port: ${port}, timeout: 5 }
    - name: nobody listens
      wait_for: { port: 1, timeout: 1, sleep: 0.2 }
      ignore_errors: true
    - name: a line appears
      shell: (sleep 1; echo "Joined MUC" >> {{ files }}/log) &
    - name: wait for it
      wait_for: { path: "{{ files }}/log", search_regex: "Joined M.C", timeout: 10, sleep: 0.2 }
      register: waited
    - name: a file that stays
      wait_for: { path: "{{ files }}/log", state: absent, timeout: 1, sleep: 0.2 }
      ignore_errors: true
`);
  const r = await p.json('play.yml');
  assert.is(r.code, 0, r.stderr);
  assert.is(statusOf(r.report, 'the server answers', 'h1'), 'ok');
  assert.is(hostResult(r.report, 'nobody listens', 'h1').msg, 'Timeout when waiting for 127.0.0.1:1');
  assert.is(statusOf(r.report, 'wait for it', 'h1'), 'ok');
  assert.ok(hostResult(r.report, 'wait for it', 'h1').result.elapsed >= 0);
  assert.match(hostResult(r.report, 'a file that stays', 'h1').msg, /^Timeout when waiting for file .*\/log to be absent$/);
});

test('in a terminal: a task retrying shows its retry under the host; Ctrl-C ends the wait at once (exit 130, the recap shown)', async () => {
  await p.write('wait.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: wait for a file that never comes
      command: cat {{ files }}/never
      register: out
      failed_when: false
      until: out.rc == 0
      retries: 30
      delay: 1
`);
  const started = Date.now();
  const r = await inPty(['run', path.join(p.dir, 'wait.yml'), '-i', path.join(p.dir, 'hosts.yml')], { cwd: p.dir, ctrlC: 2500, ctrlCWhen: /retrying: wait for a file that never comes/ });
  assert.is(r.code, 130, r.text);
  assert.ok(Date.now() - started < 15_000, 'the 30 s wait ended early');
  assert.match(r.text, /retrying: wait for a file that never comes \(attempt \d+ of 31, every 1 s\) - out\.rc=1/);
  assert.match(r.text, /RECAP/);
  assert.not.match(r.text, STACK_TRACE);
});

test.run();
