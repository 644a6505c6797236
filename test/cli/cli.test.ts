/** The command line as a user meets it: help, usage errors, terminal vs plain output, inventory. */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { BIN, ROOT, runCli } from '../helpers/cli.ts';
import { Project } from '../helpers/project.ts';

test('--help lists the commands; each command has its own --help', async () => {
  const main = await runCli(['--help']);
  assert.is(main.code, 0);
  for (const c of ['run', 'check', 'validate', 'inventory']) assert.match(main.stdout, new RegExp(`\\n  ${c} `));
  for (const c of ['run', 'check', 'validate', 'inventory']) {
    const r = await runCli([c, '--help']);
    assert.is(r.code, 0, c);
    assert.match(r.stdout, new RegExp(`Usage: jitsi-fleet ${c}`));
  }
  const run = await runCli(['run', '--help']);
  for (const opt of ['--inventory', '--check', '--diff', '--limit', '--tags', '--skip-tags', '--extra-vars', '--forks', '--output', '--detailed-exitcode']) assert.ok(run.stdout.includes(opt), opt);
});

test('usage errors exit 1 with a clear message', async () => {
  const unknown = await runCli(['deploy']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command 'deploy'/);
  const badOpt = await runCli(['run', 'x.yml', '--chek']);
  assert.is(badOpt.code, 1);
  assert.match(badOpt.stderr, /--chek/);
  const missing = await runCli(['run', 'nope.yml', '-i', 'inventory/hosts.yml']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /file not found: nope\.yml/);
  const forks = await runCli(['run', 'x.yml', '--forks', '0']);
  assert.is(forks.code, 1);
});

test('inventory --host and --graph', async () => {
  const host = await runCli(['inventory', '-i', path.join(ROOT, 'inventory', 'hosts.yml'), '--host', 'jvb2']);
  assert.is(host.code, 0);
  assert.equal(JSON.parse(host.stdout), { ansible_host: '203.0.113.11', jvb_subdomain: 'videobridge2', jitsi_domain: 'meet.example.com' });
  const graph = await runCli(['inventory', '-i', path.join(ROOT, 'inventory', 'hosts.yml'), '--graph']);
  assert.match(graph.stdout, /@jitsi_bridges:\n {2}\| {2}\|--jvb2/);
});

test('in a terminal: listr2 live progress; not a terminal: plain lines; second run 0 changed', async () => {
  const p = await Project.create(['h1', 'h2']);
  try {
    await p.write('play.yml', `
- hosts: all
  gather_facts: false
  tasks:
    - name: set a line
      lineinfile: { path: "{{ files }}/{{ inventory_hostname }}", line: "x=1", create: true }
`);
    const cmd = `${process.execPath} ${BIN} run ${path.join(p.dir, 'play.yml')} -i ${path.join(p.dir, 'hosts.yml')}`;
    const tty = spawnSync('script', ['-qec', `stty cols 120 rows 40; ${cmd}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, CI: '', TERM: 'xterm-256color', COLUMNS: '100' } });
    assert.is(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /\x1b\[/, 'escape codes in a terminal');
    assert.match(tty.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''), /✔ h1/, 'listr2 marks the finished host');
    assert.match(tty.stdout, /RECAP/);
    const plain = await p.run('play.yml');
    assert.is(plain.code, 0);
    assert.not.match(plain.stdout, /\x1b\[/);
    assert.match(plain.stdout, /ok: \[h1\] set a line - line already present/);
    assert.match(plain.stdout, /h1 : ok=1 changed=0/);
  } finally {
    await p.remove();
  }
});

test('an encrypted private key: a clear error that says to use the agent (exit 4)', async () => {
  const p = await Project.create(['h1']);
  try {
    const key = path.join(p.dir, 'id_enc');
    const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', key], { encoding: 'utf8' });
    assert.is(gen.status, 0, gen.stderr);
    await p.write('enc.yml', `all:\n  hosts:\n    locked: { ansible_host: 127.0.0.1, ansible_port: 1, ansible_ssh_private_key_file: ${key} }\n`);
    await p.write('play.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - stat: { path: /etc/hostname }\n');
    const res = await runCli(['run', path.join(p.dir, 'play.yml'), '-i', path.join(p.dir, 'enc.yml')], { env: { SSH_AUTH_SOCK: '' } });
    assert.is(res.code, 4);
    assert.match(res.stdout, /the private key .*id_enc is encrypted.*ssh-add .*id_enc.*SSH_AUTH_SOCK/);
  } finally {
    await p.remove();
  }
});

test('a malformed private key: a clear connection error, not a bug (exit 4)', async () => {
  const p = await Project.create(['h1']);
  try {
    const key = await p.write('id_broken', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
    await p.write('broken.yml', `all:\n  hosts:\n    far: { ansible_host: 127.0.0.1, ansible_port: 1, ansible_ssh_private_key_file: ${key} }\n`);
    await p.write('play.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - stat: { path: /etc/hostname }\n');
    const res = await runCli(['run', path.join(p.dir, 'play.yml'), '-i', path.join(p.dir, 'broken.yml')], { env: { SSH_AUTH_SOCK: '' } });
    assert.is(res.code, 4, res.stdout + res.stderr);
    assert.match(res.stdout, /the private key .*id_broken cannot be read/);
    assert.not.match(res.stdout + res.stderr, /internal error/);
  } finally {
    await p.remove();
  }
});

test('validate checks without connecting and prints ok', async () => {
  const p = await Project.create(['h1'], '    far: { ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1 }\n');
  try {
    await p.write('play.yml', '- hosts: all\n  tasks:\n    - debug: { msg: "{{ inventory_hostname }}" }\n');
    const res = await runCli(['validate', path.join(p.dir, 'play.yml'), '-i', path.join(p.dir, 'hosts.yml')]);
    assert.is(res.code, 0, res.stderr);
    assert.match(res.stdout, /^ok: .*play\.yml \(1 play\)/);
  } finally {
    await p.remove();
  }
});

test.run();
