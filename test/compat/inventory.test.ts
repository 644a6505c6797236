/** Inventories: YAML and INI parsing, variable precedence, host patterns, and equality with ansible-inventory. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { loadInventory } from '../../src/inventory/load.ts';
import { selectHosts } from '../../src/inventory/pattern.ts';
import { inventoryList } from '../../src/inventory/report.ts';
import { ANSIBLE_ENV, ROOT, runCli, runCommand } from '../helpers/cli.ts';

const FIX = path.join(ROOT, 'test', 'fixtures', 'inventory');

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

async function inventories(): Promise<string[]> {
  const out = [path.join(ROOT, 'inventory', 'hosts.yml')];
  for (const d of await readdir(FIX)) {
    for (const f of await readdir(path.join(FIX, d))) if (/\.(ya?ml|ini)$/.test(f)) out.push(path.join(FIX, d, f));
  }
  for (const f of await readdir(path.join(ROOT, 'inventory'))) {
    const full = path.join(ROOT, 'inventory', f);
    if (/\.(ya?ml|ini)$/.test(f) && !out.includes(full)) out.push(full);
  }
  return out;
}

test('inventory --list equals ansible-inventory --list for every inventory in the project', async () => {
  const files = await inventories();
  assert.ok(files.length >= 3);
  for (const file of files) {
    const ours = await runCli(['inventory', '-i', file, '--list']);
    assert.is(ours.code, 0, ours.stderr);
    const theirs = await runCommand('ansible-inventory', ['-i', file, '--list'], { env: ANSIBLE_ENV });
    assert.is(theirs.code, 0, theirs.stderr);
    assert.equal(sortKeys(JSON.parse(ours.stdout)), sortKeys(JSON.parse(theirs.stdout)), path.relative(ROOT, file));
    const g1 = await runCli(['inventory', '-i', file, '--graph']);
    const g2 = await runCommand('ansible-inventory', ['-i', file, '--graph'], { env: ANSIBLE_ENV });
    assert.is(g1.stdout, g2.stdout, `graph of ${path.relative(ROOT, file)}`);
  }
});

test('YAML: ranges, ports, nested children, ungrouped', async () => {
  const inv = await loadInventory(path.join(FIX, 'yaml', 'hosts.yml'));
  assert.equal(inv.hostsOfGroup('jitsi_bridges'), ['jvb01', 'jvb02', 'jvb03', 'jvb-special']);
  assert.equal(inv.hostsOfGroup('jitsi'), ['meet', 'jvb01', 'jvb02', 'jvb03', 'jvb-special']);
  assert.equal(inv.hostsOfGroup('ungrouped'), ['lone']);
  assert.is(inv.hostVars('jvb-special').ansible_port, 2222);
  assert.equal(inv.hostsOfGroup('web'), ['meet', 'wwwa.example.com', 'wwwb.example.com', 'wwwc.example.com']);
});

test('precedence: all < parent group < child group < group_vars < host < host_vars', async () => {
  const inv = await loadInventory(path.join(FIX, 'yaml', 'hosts.yml'));
  assert.is(inv.hostVars('lone').level, 'group_vars_all');
  assert.is(inv.hostVars('meet').level, 'group_vars_all', 'group_vars/all beats inventory-file group vars');
  assert.is(inv.hostVars('jvb01').level, 'group_vars_bridges');
  assert.is(inv.hostVars('jvb02').level, 'host_vars');
  assert.is(inv.hostVars('jvb-special').level, 'host');
  assert.is(inv.hostVars('jvb01').parent_only, 'p');
  assert.is(inv.hostVars('jvb01').from_all, true, 'YAML 1.1 yes is a boolean');
});

test('INI: literal values, comments, children and group vars', async () => {
  const inv = await loadInventory(path.join(FIX, 'ini', 'hosts.ini'));
  const x = inv.hostVars('jvb-x');
  assert.is(x.ansible_port, 2200);
  assert.is(x.label, 'with space');
  assert.is(x.count, 3);
  assert.is(x.flag, true);
  assert.equal(x.items, [1, 2]);
  assert.is(x.number, 42);
  assert.is(x.quoted, 'single');
  assert.is(x.comment_kept, 'a # not a comment');
  assert.equal(inv.hostsOfGroup('jitsi'), ['meet', 'jvb1', 'jvb2', 'jvb3', 'jvb-x']);
  assert.is(inv.hostVars('meet').level, 'jitsi');
});

test('host patterns: union, intersection, exclusion, globs, regex, subscripts', async () => {
  const inv = await loadInventory(path.join(FIX, 'yaml', 'hosts.yml'));
  assert.equal(selectHosts(inv, 'jitsi_meet:jitsi_bridges'), ['meet', 'jvb01', 'jvb02', 'jvb03', 'jvb-special']);
  assert.equal(selectHosts(inv, 'jitsi:&web'), ['meet']);
  assert.equal(selectHosts(inv, 'jitsi:!jitsi_bridges'), ['meet']);
  assert.equal(selectHosts(inv, 'jvb0*'), ['jvb01', 'jvb02', 'jvb03']);
  assert.equal(selectHosts(inv, '~jvb0[12]'), ['jvb01', 'jvb02']);
  assert.equal(selectHosts(inv, 'jitsi_bridges[0]'), ['jvb01']);
  assert.equal(selectHosts(inv, 'jitsi_bridges[1:2]'), ['jvb02', 'jvb03']);
  assert.equal(selectHosts(inv, 'all:!jitsi'), ['lone', 'wwwa.example.com', 'wwwb.example.com', 'wwwc.example.com']);
  assert.equal(selectHosts(inv, 'meet,lone'), ['lone', 'meet']);
  assert.throws(() => selectHosts(inv, 'jitsi_bridge'), /matches no host or group/);
  assert.throws(() => selectHosts(inv, 'jitsi::web'), /malformed/);
});

test('an unknown key in a YAML group is an error with its location', async () => {
  const res = await runCli(['inventory', '-i', path.join(ROOT, 'test', 'fixtures', 'bad-inventory', 'unknown-key.yml'), '--list']);
  assert.is(res.code, 1);
  assert.match(res.stderr, /unknown-key\.yml:5:7: unknown key 'host' in group 'bridges'/);
});

test('the inventory list is pure data (same as the report module)', async () => {
  const inv = await loadInventory(path.join(ROOT, 'inventory', 'hosts.yml'));
  const list = inventoryList(inv) as { jitsi_bridges: { hosts: string[] } };
  assert.equal(list.jitsi_bridges.hosts, ['jvb2']);
});

test.run();
