#!/usr/bin/python3
# -*- coding: utf-8 -*-
# The Ansible side of jitsi-fleet's `hocon` module, so that playbooks using it
# run under ansible-playbook with the same result (the same bytes): set or
# remove one value in a HOCON file, keeping the rest of the file. It follows
# src/modules/hocon/syntax.ts and edit.ts line by line; the test suite runs
# one table of edits through both (test/compat/hocon-ansible.test.ts).
# Licence: Apache-2.0, as jitsi-fleet.

import json
import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r'''
module: hocon
short_description: Set or remove one value in a HOCON file (jvb.conf, jicofo.conf), keeping the rest
options:
  path: {type: path, required: true, aliases: [dest, name]}
  key: {type: str, required: true, description: 'a.b."c.d"'}
  value: {type: raw}
  value_type: {type: str, choices: [auto, string, number, boolean], default: auto}
  state: {type: str, choices: [present, absent], default: present}
  create: {type: bool, default: false}
'''

UNQUOTED_STOP = '$"{}[]:=,+#`^?!@*&\\'


class HoconSyntaxError(Exception):
    def __init__(self, message, line, column):
        Exception.__init__(self, '%s at line %d, column %d' % (message, line, column))


def parse(text):
    st = {'i': 0}

    def ch(k=0):
        j = st['i'] + k
        return text[j] if j < len(text) else None

    def fail(msg, pos=None):
        pos = st['i'] if pos is None else pos
        before = text[:pos].split('\n')
        raise HoconSyntaxError(msg, len(before), len(before[-1]) + 1)

    def skip_space(newlines):
        while True:
            c = ch()
            if c in (' ', '\t', '\r', '\ufeff') or (newlines and c == '\n'):
                st['i'] += 1
            elif c == '#' or (c == '/' and ch(1) == '/'):
                while st['i'] < len(text) and text[st['i']] != '\n':
                    st['i'] += 1
            else:
                return

    def quoted():
        i = st['i']
        if text.startswith('"""', i):
            end = text.find('"""', i + 3)
            if end < 0:
                fail('unterminated """ string')
            stop = end + 3
            while stop < len(text) and text[stop] == '"':
                stop += 1
            st['i'] = stop
            return text[i + 3:stop - 3]
        start = i
        st['i'] += 1
        out = ''
        while st['i'] < len(text) and text[st['i']] != '"':
            c = text[st['i']]
            if c == '\n':
                fail('a quoted string may not span lines', start)
            if c == '\\':
                e = ch(1)
                m = {'n': '\n', 't': '\t', 'r': '\r', 'b': '\b', 'f': '\f', '"': '"', '\\': '\\', '/': '/'}
                if e == 'u':
                    out += chr(int(text[st['i'] + 2:st['i'] + 6], 16))
                    st['i'] += 6
                    continue
                if e not in m:
                    fail('bad escape \\%s' % e)
                out += m[e]
                st['i'] += 2
                continue
            out += c
            st['i'] += 1
        if ch() != '"':
            fail('unterminated quoted string', start)
        st['i'] += 1
        return out

    def key_path():
        parts = []
        cur = ''
        any_ = False
        while True:
            c = ch()
            if c == '"':
                cur += quoted()
                any_ = True
            elif c == '.':
                parts.append(cur)
                cur = ''
                any_ = False
                st['i'] += 1
            elif c is None or c == '\n' or c in ' \t' or c in UNQUOTED_STOP or (c == '/' and ch(1) == '/'):
                if c in (' ', '\t'):
                    j = st['i']
                    while j < len(text) and text[j] in ' \t':
                        j += 1
                    n = text[j] if j < len(text) else None
                    if n is not None and n not in '=:{+\n' and n not in UNQUOTED_STOP and not (n == '/' and j + 1 < len(text) and text[j + 1] == '/'):
                        cur += text[st['i']:j]
                        st['i'] = j
                        continue
                break
            else:
                cur += c
                any_ = True
                st['i'] += 1
        if not any_ and cur == '':
            fail('expected a key')
        parts.append(cur)
        return parts

    def value():
        start = st['i']
        c = ch()
        if c == '{':
            obj = obj_node(True)
            return {'kind': 'object', 'object': obj, 'start': start, 'end': st['i']}
        if c == '[':
            array()
            return {'kind': 'array', 'start': start, 'end': st['i']}
        out = ''
        quoted_only = True
        parts = 0
        end = st['i']
        while True:
            d = ch()
            if d == '"':
                out += quoted()
                parts += 1
                end = st['i']
            elif d == '$' and ch(1) == '{':
                close = text.find('}', st['i'])
                if close < 0:
                    fail('unterminated substitution')
                out += text[st['i']:close + 1]
                quoted_only = False
                parts += 1
                st['i'] = close + 1
                end = st['i']
            elif d is not None and d not in '\n,}]#{[' and not (d == '/' and ch(1) == '/'):
                if d in ' \t' and parts > 0:
                    out += d
                    st['i'] += 1
                    continue
                if d in '`^?!@*&\\':
                    fail("'%s' is not allowed in an unquoted value (quote it)" % d)
                out += d
                quoted_only = False
                parts += 1
                st['i'] += 1
                end = st['i']
            else:
                break
        if parts == 0:
            fail('expected a value')
        st['i'] = end
        return {'kind': 'string', 'text': out if quoted_only else out.strip(), 'quoted': quoted_only, 'start': start, 'end': end}

    def array():
        open_ = st['i']
        st['i'] += 1
        while True:
            skip_space(True)
            if ch() == ']':
                st['i'] += 1
                return
            if st['i'] >= len(text):
                fail('unterminated array', open_)
            value()
            skip_space(False)
            if ch() == ',':
                st['i'] += 1

    def obj_node(braced):
        open_ = st['i'] if braced else -1
        if braced:
            st['i'] += 1
        node = {'open': open_, 'close': len(text), 'fields': []}
        while True:
            skip_space(True)
            if ch() == ',':
                st['i'] += 1
                continue
            if braced and ch() == '}':
                node['close'] = st['i']
                st['i'] += 1
                return node
            if st['i'] >= len(text):
                if braced:
                    fail('unterminated object: a } is missing', open_)
                node['close'] = len(text)
                return node
            if not braced and ch() == '}':
                fail('a } without its {')
            start = st['i']
            if text.startswith('include', st['i']) and (ch(7) or '').isspace():
                while st['i'] < len(text) and text[st['i']] != '\n':
                    st['i'] += 1
                continue
            path = key_path()
            skip_space(False)
            if ch() in ('=', ':'):
                st['i'] += 1
            elif ch() == '+' and ch(1) == '=':
                st['i'] += 2
            elif ch() != '{':
                fail("expected '=', ':' or '{' after the key '%s'" % '.'.join(path))
            skip_space(False)
            v = value()
            node['fields'].append({'path': path, 'start': start, 'end': v['end'], 'value': v})
            skip_space(False)
            if ch() is not None and ch() not in '\n,}':
                fail("unexpected '%s' after the value of '%s'" % (ch(), '.'.join(path)))

    skip_space(True)
    root = obj_node(True) if ch() == '{' else obj_node(False)
    skip_space(True)
    if st['i'] < len(text):
        fail("unexpected '%s' after the end" % ch())
    return root


def walk(obj, prefix, fields, objects):
    objects.append((obj, prefix))
    for f in obj['fields']:
        path = prefix + f['path']
        fields.append((f, path))
        if f['value']['kind'] == 'object':
            walk(f['value']['object'], path, fields, objects)


def key_text(path):
    return '.'.join(p if re.match(r'^[A-Za-z0-9_-]+$', p) else json.dumps(p) for p in path)


def line_start(text, pos):
    return text.rfind('\n', 0, pos) + 1 if pos > 0 else 0


def indent_at(text, pos):
    return re.match(r'^[ \t]*', text[line_start(text, pos):]).group(0)


def hocon_value(v, type_):
    kind = type_
    if type_ == 'auto':
        kind = 'boolean' if isinstance(v, bool) else 'number' if isinstance(v, (int, float)) else 'string'
    if kind == 'boolean':
        b = v if isinstance(v, bool) else str(v).lower() in ('true', 'yes', 'on', '1')
        return {'text': 'true' if b else 'false', 'kind': kind, 'plain': 'true' if b else 'false'}
    if kind == 'number':
        n = float(v)
        s = str(int(n)) if n == int(n) else repr(n)
        return {'text': s, 'kind': kind, 'plain': s}
    s = str(v)
    return {'text': json.dumps(s, ensure_ascii=False), 'kind': kind, 'plain': s}


def set_value(text, path, value):
    fields, objects = [], []
    walk(parse(text), [], fields, objects)
    hits = [f for f, p in fields if p == path]
    if hits:
        v = hits[-1]['value']
        if v['kind'] == 'string' and v['text'] == value['plain'] and (value['kind'] == 'string' or not v['quoted']):
            return text
        return text[:v['start']] + value['text'] + text[v['end']:]
    best = objects[0]
    for o in objects:
        if path[:len(o[1])] == o[1] and len(o[1]) >= len(best[1]):
            best = o
    obj, prefix = best
    line = '%s = %s' % (key_text(path[len(prefix):]), value['text'])
    if obj['open'] < 0:
        body = text + '\n' if text and not text.endswith('\n') else text
        indent = indent_at(text, obj['fields'][-1]['start']) if obj['fields'] else ''
        return '%s%s%s\n' % (body, indent, line)
    last = obj['fields'][-1] if obj['fields'] else None
    close_line = line_start(text, obj['close'])
    close_alone = text[close_line:obj['close']].strip() == ''
    own_line = last is not None and line_start(text, last['start']) != line_start(text, obj['open'])
    indent = indent_at(text, last['start']) if own_line else indent_at(text, obj['open']) + '    '
    if close_alone and (last is None or line_start(text, last['start']) < close_line):
        return text[:close_line] + '%s%s\n' % (indent, line) + text[close_line:]
    before = re.sub(r'[ \t]*$', '', text[:obj['close']])
    return '%s\n%s%s\n%s%s' % (before, indent, line, indent_at(text, obj['open']), text[obj['close']:])


def remove_value(text, path):
    fields, objects = [], []
    walk(parse(text), [], fields, objects)
    hits = sorted([f for f, p in fields if p == path], key=lambda f: -f['start'])
    out = text
    for f in hits:
        ls = line_start(out, f['start'])
        le = out.find('\n', f['end'])
        tail = out[f['end']:len(out) if le < 0 else le]
        alone = out[ls:f['start']].strip() == '' and re.match(r'^\s*(,\s*)?(#.*|//.*)?$', tail)
        if alone:
            out = out[:ls] + out[len(out) if le < 0 else le + 1:]
        else:
            out = out[:f['start']] + re.sub(r'^\s*,', '', out[f['end']:])
    return out


def key_path(key):
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|([^.]+)', key):
        out.append(json.loads('"%s"' % m.group(1)) if m.group(1) is not None else m.group(2).strip())
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True, aliases=['dest', 'name']),
            key=dict(type='str', required=True, no_log=False),
            value=dict(type='raw'),
            value_type=dict(type='str', choices=['auto', 'string', 'number', 'boolean'], default='auto'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            create=dict(type='bool', default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    p = module.params
    path = os.path.realpath(p['path'])
    if p['state'] == 'present' and p['value'] is None:
        module.fail_json(msg='value is required with state=present')
    if os.path.isdir(path):
        module.fail_json(msg='Path %s is a directory !' % path)
    exists = os.path.exists(path)
    if not exists:
        if p['state'] == 'absent':
            module.exit_json(changed=False, msg='%s does not exist: %s is absent' % (p['path'], p['key']))
        if not p['create']:
            module.fail_json(rc=257, msg='Destination %s does not exist !' % p['path'])
    before_b = b''
    if exists:
        with open(path, 'rb') as f:
            before_b = f.read()
    before = before_b.decode('utf-8')
    try:
        if p['state'] == 'absent':
            after = remove_value(before, key_path(p['key']))
        else:
            after = set_value(before, key_path(p['key']), hocon_value(p['value'], p['value_type']))
        parse(after)
    except HoconSyntaxError as e:
        module.fail_json(msg='cannot read %s as HOCON: %s; fix the file by hand first' % (p['path'], e))
    changed = after != before
    diff = {'before': before, 'after': after, 'before_header': p['path'], 'after_header': p['path']}
    if changed and not module.check_mode:
        d = os.path.dirname(path)
        if not os.path.isdir(d):
            os.makedirs(d)
        fd, tmp = tempfile.mkstemp(dir=d)
        with os.fdopen(fd, 'wb') as f:
            f.write(after.encode('utf-8'))
        module.atomic_move(tmp, path, unsafe_writes=module.params['unsafe_writes'])
    file_args = module.load_file_common_arguments(module.params, path=path)
    changed = module.set_fs_attributes_if_different(file_args, changed, diff=None) if not module.check_mode or not changed else changed
    msg = '%s %s' % (p['key'], 'removed' if p['state'] == 'absent' else 'set') if after != before else ''
    module.exit_json(changed=changed, msg=msg, diff=diff if after != before else {})


if __name__ == '__main__':
    main()
