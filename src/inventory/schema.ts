/** The JSON Schema (checked with ajv) of Ansible's YAML inventory format. */
const hostEntry = { anyOf: [{ type: 'object' }, { type: 'null' }] };

/** Ansible's YAML inventory: groups holding hosts, vars and children (recursively). */
export const inventorySchema = {
  $id: 'jitsi-fleet/inventory',
  definitions: {
    group: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: {
            hosts: { anyOf: [{ type: 'null' }, { type: 'string' }, { type: 'object', additionalProperties: hostEntry }] },
            vars: { anyOf: [{ type: 'null' }, { type: 'object' }] },
            children: { anyOf: [{ type: 'null' }, { type: 'string' }, { type: 'object', additionalProperties: { $ref: '#/definitions/group' } }] },
          },
          additionalProperties: false,
        },
      ],
    },
  },
  type: 'object',
  additionalProperties: { $ref: '#/definitions/group' },
};
