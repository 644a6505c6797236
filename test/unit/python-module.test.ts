/**
 * What a project's or ansible-core's Python module answered, read as Ansible's task executor reads it:
 * the JSON among other lines, a non-zero rc without `failed`, no JSON at all (a crash), `invocation` dropped.
 */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { moduleOutcome, taskVars } from '../../src/modules/python-module.ts';

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

test.run();
