/**
 * One table of HOCON edits, used twice: by the unit test (our exact output)
 * and by the compat test (ruby-hocon, what the real Jitsi packages use, must
 * read the value we set, and every other key as before).
 */
export interface HoconCase {
  name: string;
  before: string;
  key: string;
  value?: unknown;
  state?: 'absent';
  after: string;
}

const JVB = `videobridge {
    # the package's own entry
    apis.xmpp-client.configs {
        shard {
            HOSTNAME = "localhost"
            PASSWORD = "old@pass"
        }
    }
    websockets {
        enabled = true
    }
}
`;

export const hoconCases: HoconCase[] = [
  {
    name: 'a quoted value replaced in place; a password with @ and # stays one quoted string',
    before: JVB,
    key: 'videobridge.apis.xmpp-client.configs.shard.PASSWORD',
    value: 'n3w@p#ss "q"',
    after: JVB.replace('"old@pass"', '"n3w@p#ss \\"q\\""'),
  },
  {
    name: 'the same value: no change',
    before: JVB,
    key: 'videobridge.apis.xmpp-client.configs.shard.HOSTNAME',
    value: 'localhost',
    after: JVB,
  },
  {
    name: 'a missing key goes into its object, indented like its neighbours',
    before: JVB,
    key: 'videobridge.apis.xmpp-client.configs.shard.MUC_NICKNAME',
    value: 'jvb2',
    after: JVB.replace('            PASSWORD = "old@pass"\n', '            PASSWORD = "old@pass"\n            MUC_NICKNAME = "jvb2"\n'),
  },
  {
    name: 'a new entry beside another: the rest of its path in the deepest object that exists',
    before: JVB,
    key: 'videobridge.apis.xmpp-client.configs.shard2.HOSTNAME',
    value: '198.51.100.20',
    after: JVB.replace('        }\n    }\n    websockets', '        }\n        shard2.HOSTNAME = "198.51.100.20"\n    }\n    websockets'),
  },
  {
    name: 'a boolean is written unquoted (only the literal true counts)',
    before: JVB,
    key: 'videobridge.apis.xmpp-client.configs.shard.DISABLE_CERTIFICATE_VERIFICATION',
    value: true,
    after: JVB.replace('            PASSWORD = "old@pass"\n', '            PASSWORD = "old@pass"\n            DISABLE_CERTIFICATE_VERIFICATION = true\n'),
  },
  {
    name: 'a quoted "true" is replaced by the boolean',
    before: 'a {\n  flag = "true"\n}\n',
    key: 'a.flag',
    value: true,
    after: 'a {\n  flag = true\n}\n',
  },
  {
    name: 'a dotted definition and a number; the comment after the value stays',
    before: 'videobridge.http-servers.public.port = 9090 # the public port\nother = x\n',
    key: 'videobridge.http-servers.public.port',
    value: 9443,
    after: 'videobridge.http-servers.public.port = 9443 # the public port\nother = x\n',
  },
  {
    name: 'the last definition wins, so it is the one changed',
    before: 'a.b = "first"\na { b = "second" }\n',
    key: 'a.b',
    value: 'third',
    after: 'a.b = "first"\na { b = "third" }\n',
  },
  {
    name: 'a root without braces: a new line at the end',
    before: 'jicofo {\n  bridge {\n    brewery-jid = "JvbBrewery@internal.auth.meet.example.com"\n  }\n}',
    key: 'jicofo.rest.enabled',
    value: true,
    after: 'jicofo {\n  bridge {\n    brewery-jid = "JvbBrewery@internal.auth.meet.example.com"\n  }\n  rest.enabled = true\n}',
  },
  {
    name: 'an object on one line is opened up',
    before: 'a { b = 1 }\n',
    key: 'a.c',
    value: 'x',
    after: 'a { b = 1\n    c = "x"\n}\n',
  },
  {
    name: 'an empty file',
    before: '',
    key: 'videobridge.apis.xmpp-client.configs.shard.HOSTNAME',
    value: 'meet',
    after: 'videobridge.apis.xmpp-client.configs.shard.HOSTNAME = "meet"\n',
  },
  {
    name: 'a key segment with a dot is quoted',
    before: 'a {\n}\n',
    key: 'a."b.c"',
    value: 1,
    after: 'a {\n    "b.c" = 1\n}\n',
  },
  {
    name: 'includes, substitutions, arrays and colons are kept as written',
    before: 'include "base.conf"\nx : [1, 2]\ny = ${?HOME}/jvb\nz {\n  k = v\n}\n',
    key: 'z.k',
    value: 'w',
    after: 'include "base.conf"\nx : [1, 2]\ny = ${?HOME}/jvb\nz {\n  k = "w"\n}\n',
  },
  {
    name: 'removing a key takes its line',
    before: JVB,
    key: 'videobridge.apis.xmpp-client.configs.shard.PASSWORD',
    state: 'absent',
    after: JVB.replace('            PASSWORD = "old@pass"\n', ''),
  },
  {
    name: 'removing a key that is not there changes nothing',
    before: JVB,
    key: 'videobridge.nothing.here',
    state: 'absent',
    after: JVB,
  },
];
