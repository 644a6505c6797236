/**
 * Ansible's action plugins as jitsi-fleet runs them (real ansible-core on this machine, a recording connection in
 * place of the host): which commands reach the host, with or without become, the task's environment first, and
 * how the plugin's answer becomes the task's result.
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { actionPlugin, ansiblePython } from '../../src/modules/python-module.ts';
import type { Connection, ExecOptions } from '../../src/connection/types.ts';
import type { ModuleContext } from '../../src/modules/types.ts';

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
