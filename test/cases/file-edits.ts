/**
 * One table of file-edit cases, used twice: by the planner unit tests (our
 * expected outcome) and by the Ansible comparison (the same task run by real
 * ansible-playbook and by jitsi-fleet must leave the same bytes and changed flag).
 * `initial: null` means the file does not exist.
 */
export interface EditCase {
  name: string;
  module: 'lineinfile' | 'blockinfile' | 'copy';
  initial: string | null;
  args: Record<string, unknown>;
  expect: { changed: boolean; content: string | null; failed?: boolean; reason?: RegExp };
}

const cfg = 'JVB_HOSTNAME=meet.example.com\nJVB_HOST=\nJVB_PORT=5347\nJVB_OPTS="--apis=,"\n';

export const editCases: EditCase[] = [
  {
    name: 'regexp replaces the matching line',
    module: 'lineinfile',
    initial: cfg,
    args: { regexp: '^JVB_OPTS=', line: 'JVB_OPTS="--apis=rest,xmpp --subdomain=jitsi-videobridge"' },
    expect: { changed: true, content: cfg.replace('JVB_OPTS="--apis=,"', 'JVB_OPTS="--apis=rest,xmpp --subdomain=jitsi-videobridge"') },
  },
  {
    name: 'regexp: line already right means no change',
    module: 'lineinfile',
    initial: cfg,
    args: { regexp: '^JVB_PORT=', line: 'JVB_PORT=5347' },
    expect: { changed: false, content: cfg, reason: /already present/ },
  },
  {
    name: 'regexp with insertafter: no match inserts after the anchor',
    module: 'lineinfile',
    initial: 'VirtualHost "meet"\n    authentication = "anonymous"\n    modules_enabled = {}\n',
    args: { regexp: '^\\s*admins\\s*=', insertafter: '^\\s*authentication', line: '    admins = { "jvb.meet" }' },
    expect: { changed: true, content: 'VirtualHost "meet"\n    authentication = "anonymous"\n    admins = { "jvb.meet" }\n    modules_enabled = {}\n' },
  },
  {
    name: 'regexp with insertafter: second run adds no duplicate',
    module: 'lineinfile',
    initial: 'VirtualHost "meet"\n    authentication = "anonymous"\n    admins = { "jvb.meet" }\n    modules_enabled = {}\n',
    args: { regexp: '^\\s*admins\\s*=', insertafter: '^\\s*authentication', line: '    admins = { "jvb.meet" }' },
    expect: { changed: false, content: 'VirtualHost "meet"\n    authentication = "anonymous"\n    admins = { "jvb.meet" }\n    modules_enabled = {}\n' },
  },
  {
    name: 'insertafter without regexp: existing exact line is not duplicated',
    module: 'lineinfile',
    initial: 'a\nb\nc\n',
    args: { insertafter: '^a', line: 'c' },
    expect: { changed: false, content: 'a\nb\nc\n' },
  },
  {
    name: 'insertbefore an anchor',
    module: 'lineinfile',
    initial: 'a\nb\nc\n',
    args: { insertbefore: '^c', line: 'x' },
    expect: { changed: true, content: 'a\nb\nx\nc\n' },
  },
  {
    name: 'insertbefore BOF',
    module: 'lineinfile',
    initial: 'a\nb\n',
    args: { insertbefore: 'BOF', line: 'first' },
    expect: { changed: true, content: 'first\na\nb\n' },
  },
  {
    name: 'insertafter with no matching anchor appends at the end',
    module: 'lineinfile',
    initial: 'a\nb\n',
    args: { insertafter: '^nomatch', line: 'z' },
    expect: { changed: true, content: 'a\nb\nz\n' },
  },
  {
    name: 'firstmatch picks the first regexp match',
    module: 'lineinfile',
    initial: 'x=1\nx=2\n',
    args: { regexp: '^x=', line: 'x=9', firstmatch: true },
    expect: { changed: true, content: 'x=9\nx=2\n' },
  },
  {
    name: 'without firstmatch the last match is replaced',
    module: 'lineinfile',
    initial: 'x=1\nx=2\n',
    args: { regexp: '^x=', line: 'x=9' },
    expect: { changed: true, content: 'x=1\nx=9\n' },
  },
  {
    name: 'backrefs rewrites with groups',
    module: 'lineinfile',
    initial: 'JVB_OPTS="--apis=,"\n',
    args: { regexp: '^JVB_OPTS="([^ ]*)"$', line: 'JVB_OPTS="\\1 --subdomain=jvb2"', backrefs: true },
    expect: { changed: true, content: 'JVB_OPTS="--apis=, --subdomain=jvb2"\n' },
  },
  {
    name: 'backrefs with no match changes nothing',
    module: 'lineinfile',
    initial: 'a\nb\n',
    args: { regexp: '^nomatch(.*)$', line: 'x\\1', backrefs: true },
    expect: { changed: false, content: 'a\nb\n', reason: /backrefs/ },
  },
  {
    name: 'missing file without create fails',
    module: 'lineinfile',
    initial: null,
    args: { line: 'x' },
    expect: { changed: false, content: null, failed: true },
  },
  {
    name: 'missing file with create makes it',
    module: 'lineinfile',
    initial: null,
    args: { line: 'x=1', create: true },
    expect: { changed: true, content: 'x=1\n' },
  },
  {
    name: 'a file without a final newline gets one before the new line',
    module: 'lineinfile',
    initial: 'a\nb',
    args: { line: 'c' },
    expect: { changed: true, content: 'a\nb\nc\n' },
  },
  {
    name: 'a file without a final newline: replacing its last line',
    module: 'lineinfile',
    initial: 'a\nkey=old',
    args: { regexp: '^key=', line: 'key=new' },
    expect: { changed: true, content: 'a\nkey=new\n' },
  },
  {
    name: 'state=absent removes every matching line',
    module: 'lineinfile',
    initial: 'keep\nx=1\nkeep2\nx=2\n',
    args: { regexp: '^x=', state: 'absent' },
    expect: { changed: true, content: 'keep\nkeep2\n' },
  },
  {
    name: 'state=absent by exact line',
    module: 'lineinfile',
    initial: 'a\nb\n',
    args: { line: 'b', state: 'absent' },
    expect: { changed: true, content: 'a\n' },
  },
  {
    name: 'state=absent with nothing to remove',
    module: 'lineinfile',
    initial: 'a\n',
    args: { line: 'zzz', state: 'absent' },
    expect: { changed: false, content: 'a\n' },
  },
  {
    name: 'state=absent on a missing file',
    module: 'lineinfile',
    initial: null,
    args: { line: 'zzz', state: 'absent' },
    expect: { changed: false, content: null },
  },
  {
    name: 'search_string replaces the line containing it',
    module: 'lineinfile',
    initial: 'org.jitsi.videobridge.STATISTICS_TRANSPORT=muc\n',
    args: { search_string: 'STATISTICS_TRANSPORT=', line: 'org.jitsi.videobridge.STATISTICS_TRANSPORT=pubsub' },
    expect: { changed: true, content: 'org.jitsi.videobridge.STATISTICS_TRANSPORT=pubsub\n' },
  },
  {
    name: 'a line with special characters is added literally',
    module: 'lineinfile',
    initial: '',
    args: { line: 'component_secret = "a@b#c$d"' },
    expect: { changed: true, content: 'component_secret = "a@b#c$d"\n' },
  },
  {
    name: 'blockinfile inserts a marked block at the end',
    module: 'blockinfile',
    initial: 'VirtualHost "meet"\n',
    args: { block: 'Component "jvb2.meet"\n    component_secret = "s"', marker: '-- {mark} jvb2' },
    expect: { changed: true, content: 'VirtualHost "meet"\n-- BEGIN jvb2\nComponent "jvb2.meet"\n    component_secret = "s"\n-- END jvb2\n' },
  },
  {
    name: 'blockinfile: same block again is no change',
    module: 'blockinfile',
    initial: 'VirtualHost "meet"\n-- BEGIN jvb2\nComponent "jvb2.meet"\n    component_secret = "s"\n-- END jvb2\n',
    args: { block: 'Component "jvb2.meet"\n    component_secret = "s"', marker: '-- {mark} jvb2' },
    expect: { changed: false, content: 'VirtualHost "meet"\n-- BEGIN jvb2\nComponent "jvb2.meet"\n    component_secret = "s"\n-- END jvb2\n' },
  },
  {
    name: 'blockinfile replaces a changed block in place',
    module: 'blockinfile',
    initial: 'top\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nbottom\n',
    args: { block: 'new1\nnew2' },
    expect: { changed: true, content: 'top\n# BEGIN ANSIBLE MANAGED BLOCK\nnew1\nnew2\n# END ANSIBLE MANAGED BLOCK\nbottom\n' },
  },
  {
    name: 'blockinfile insertbefore BOF, file without final newline',
    module: 'blockinfile',
    initial: 'a\nb',
    args: { block: 'x', insertbefore: 'BOF' },
    expect: { changed: true, content: '# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\na\nb' },
  },
  {
    name: 'blockinfile insertafter an anchor',
    module: 'blockinfile',
    initial: 'a\nanchor\nb\n',
    args: { block: 'x', insertafter: '^anchor' },
    expect: { changed: true, content: 'a\nanchor\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n' },
  },
  {
    name: 'blockinfile state=absent removes the block',
    module: 'blockinfile',
    initial: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\nb\n',
    args: { state: 'absent' },
    expect: { changed: true, content: 'a\nb\n' },
  },
  {
    name: 'blockinfile on a missing file without create fails',
    module: 'blockinfile',
    initial: null,
    args: { block: 'x' },
    expect: { changed: false, content: null, failed: true },
  },
  {
    name: 'blockinfile with create makes the file',
    module: 'blockinfile',
    initial: null,
    args: { block: 'x', create: true },
    expect: { changed: true, content: '# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n' },
  },
  {
    name: 'copy writes content exactly',
    module: 'copy',
    initial: null,
    args: { content: 'no final newline' },
    expect: { changed: true, content: 'no final newline' },
  },
  {
    name: 'copy with the same content is no change',
    module: 'copy',
    initial: 'same\n',
    args: { content: 'same\n' },
    expect: { changed: false, content: 'same\n' },
  },
  {
    name: 'copy force=no leaves an existing file',
    module: 'copy',
    initial: 'old\n',
    args: { content: 'new\n', force: false },
    expect: { changed: false, content: 'old\n' },
  },
];
