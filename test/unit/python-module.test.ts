/**
 * What a project's or ansible-core's Python module answered, read as Ansible's task executor reads it:
 * the JSON among other lines, a non-zero rc without `failed`, no JSON at all (a crash), `invocation` dropped.
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { actionPlugin, ansiblePython, moduleOutcome, taskVars } from '../../src/modules/python-module.ts';
import type { Connection, ExecOptions } from '../../src/connection/types.ts';
import type { ModuleContext } from '../../src/modules/types.ts';

const out = (stdout: string, code = 0, stderr = '') => ({ code, stdout, stderr });

test('the JSON line among others (a module that prints before its answer); changed; invocation dropped', () => {
  const o = moduleOutcome(out('noise from a library\n{"changed": true, "msg": "done", "invocation": {"module_args": {"password": "x"}}}\n'));
  assert.equal([o.failed, o.changed, o.msg], [false, true, 'done']);
  assert.not.ok('invocation' in o.result, 'the arguments echoed back are not kept');
});

test('a non-zero rc fails the task unless the module says failed itself', () => {
  assert.is(moduleOutcome(out('{"rc": 3}')).failed, true);
  assert.is(moduleOutcome(out('{"rc": 3, "failed": false}')).failed, false);
  assert.is(moduleOutcome(out('{"rc": 0}')).failed, false);
});

test('no JSON (the module crashed): MODULE FAILURE with its stdout, stderr and rc', () => {
  const o = moduleOutcome(out('', 1, 'Traceback (most recent call last):\nImportError: x\n'));
  assert.is(o.failed, true);
  assert.match(o.msg, /^MODULE FAILURE\nSee stdout\/stderr for the exact error: ImportError: x$/, 'with the last line of what it said');
  assert.equal([o.result.rc, o.result.module_stderr], [1, 'Traceback (most recent call last):\nImportError: x\n']);
});

test('skipped (check mode a module does not support)', () => {
  const o = moduleOutcome(out('{"skipped": true, "msg": "remote module (x) does not support check mode"}'));
  assert.equal([o.skipped, o.failed], [true, false]);
});

test("an action plugin's task variables: JSON values, without hostvars, vars or the connection's passwords", () => {
  const values: Record<string, unknown> = { port: 10000, hostvars: { h: {} }, vars: {}, ansible_become_password: 's3cret', ansible_ssh_pass: 'x', ansible_user: 'deploy', broken: undefined };
  const lookup = Object.assign((n: string) => {
    if (n === 'broken') throw new Error("'nothing' is undefined");
    return values[n];
  }, { names: () => Object.keys(values) });
  assert.equal(taskVars(lookup), { port: 10000, ansible_user: 'deploy' });
});

/** A host that answers each command with `answer` and records what was asked, with or without become. */
function recordingHost(answer: (command: string) => { code: number; stdout: string; stderr: string }) {
  const calls: { command: string; become?: string; stdin?: string }[] = [];
  const conn = {
    host: 'h1',
    user: 'deploy',
    commandsSent: 0,
    async exec(command: string, opts: ExecOptions = {}) {
      calls.push({ command, become: opts.become?.user, stdin: opts.stdin === undefined ? undefined : String(opts.stdin) });
      return answer(command);
    },
    async readFiles() {
      return new Map();
    },
  } as unknown as Connection;
  return { conn, calls };
}

function actionContext(conn: Connection, extra: Partial<ModuleContext> = {}): ModuleContext {
  return {
    host: 'h1', check: false, diff: false, become: { user: 'root' }, files: { get: () => Promise.reject(new Error('no files')) },
    probe: () => Promise.reject(new Error('no probes')), vars: Object.assign(() => undefined, { names: () => [] }), searchDirs: ['/nonexistent'],
    renderTemplate: (t) => t, remote: conn, ...extra,
  };
}

const withAnsible = ansiblePython().problem === undefined;

test("Ansible's raw action through the run's connection: its command sent once, with become (sudoable), the task's environment first; rc and output its result", async () => {
  assert.ok(withAnsible, 'ansible-core on this machine (test/setup.sh installs it)');
  const { conn, calls } = recordingHost(() => ({ code: 3, stdout: 'hi\n', stderr: '' }));
  const plan = await actionPlugin('raw', 'ansible.builtin.raw', { library: [], actions: [], utils: [] }).plan({ _raw_params: 'echo hi; exit 3' }, actionContext(conn, { environment: "export A='1'; " }));
  assert.equal(calls, [{ command: "export A='1'; echo hi; exit 3", become: 'root', stdin: undefined }]);
  assert.equal([plan.failed, plan.ran?.changed, plan.result?.rc, plan.result?.stdout, plan.changes.length], [true, true, 3, 'hi\n', 0]);
});

test("an action plugin's failure in Ansible's words (a file to fetch that the host does not have); a missing plugin", async () => {
  assert.ok(withAnsible, 'ansible-core on this machine (test/setup.sh installs it)');
  const { conn } = recordingHost((command) => ({ code: 0, stdout: command.includes('python') ? '{"failed": true, "msg": "file not found: /nope"}' : '/home/deploy\n', stderr: '' }));
  const fetched = await actionPlugin('fetch', 'ansible.builtin.fetch', { library: [], actions: [], utils: [] }).plan({ src: '/nope', dest: '/tmp/jf-unit-fetch' }, actionContext(conn));
  assert.is(fetched.failed, true, JSON.stringify(fetched));
  assert.match(fetched.msg, /file not found: \/nope|the remote file does not exist/);
  const missing = await actionPlugin('no_such_plugin', 'no_such_plugin', { library: [], actions: [], utils: [] }).plan({}, actionContext(conn));
  assert.equal([missing.failed, missing.msg], [true, "the action plugin 'no_such_plugin' was not found"]);
});

test.run();
