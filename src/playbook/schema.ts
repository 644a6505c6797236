/**
 * JSON Schemas (checked with ajv) for the typed keywords of plays and tasks. Unknown keys are caught before these run, with a
 * "did you mean".
 */
const templated = { type: 'string', pattern: '\\{\\{|\\{%' };
const bool = { anyOf: [{ type: 'boolean' }, templated] };
const strOrList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const condition = { anyOf: [{ type: 'boolean' }, { type: 'string' }, { type: 'array', items: { anyOf: [{ type: 'boolean' }, { type: 'string' }] } }] };
const mapping = { anyOf: [{ type: 'object' }, { type: 'null' }] };
const taskList = { anyOf: [{ type: 'array' }, { type: 'null' }] };

export const playSchema = {
  $id: 'jitsi-fleet/play',
  type: 'object',
  required: ['hosts'],
  properties: {
    name: { type: 'string' },
    hosts: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string' }, minItems: 1 }] },
    vars: mapping,
    vars_files: strOrList,
    become: bool,
    become_user: { type: 'string' },
    gather_facts: bool,
    serial: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }, { type: 'array', items: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] }, minItems: 1 }] },
    max_fail_percentage: { anyOf: [{ type: 'number', minimum: 0, maximum: 100 }, { type: 'string' }] },
    any_errors_fatal: bool,
    check_mode: bool,
    diff: bool,
    remote_user: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    pre_tasks: taskList,
    roles: { anyOf: [{ type: 'array', items: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }] } }, { type: 'null' }] },
    tasks: taskList,
    post_tasks: taskList,
    handlers: taskList,
    tags: strOrList,
  },
};

export const taskSchema = {
  $id: 'jitsi-fleet/task',
  type: 'object',
  properties: {
    name: { type: 'string' },
    when: condition,
    loop: { anyOf: [{ type: 'array' }, { type: 'string' }] },
    with_items: { anyOf: [{ type: 'array' }, { type: 'string' }] },
    loop_control: {
      type: 'object',
      additionalProperties: false,
      properties: {
        label: { type: 'string' },
        // A name, or a template that gives one (rendered when the loop starts).
        loop_var: { type: 'string', pattern: '^([A-Za-z_]\\w*|.*\\{\\{.*)$' },
        index_var: { type: 'string', pattern: '^([A-Za-z_]\\w*|.*\\{\\{.*)$' },
        pause: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string' }] },
        extended: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
        extended_allitems: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
      },
    },
    register: { type: 'string', pattern: '^[A-Za-z_]\\w*$' },
    notify: strOrList,
    listen: strOrList,
    changed_when: condition,
    failed_when: condition,
    until: condition,
    retries: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
    delay: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string' }] },
    ignore_errors: bool,
    tags: strOrList,
    become: bool,
    become_user: { type: 'string' },
    delegate_to: { type: 'string' },
    run_once: bool,
    no_log: bool,
    check_mode: bool,
    diff: bool,
    vars: mapping,
    args: { type: 'object' },
    any_errors_fatal: bool,
    block: taskList,
    rescue: taskList,
    always: taskList,
  },
};
