/** The lab itself: it leaves nothing behind, also after a crash of the run that made it. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { $ } from 'zx';
import { labOrSkip } from '../helpers/lab-suite.ts';
import { cleanStaleLabs, Lab } from './lab.ts';

const skip = await labOrSkip();

/** A process is gone when /proc has no entry for it, or only a zombie waiting to be reaped. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat || / Z /.test(stat.replace(/^.*\) /, ' '))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function netnsList(): Promise<string> {
  return (await $`ip netns list`.quiet().nothrow()).stdout;
}

if (!skip) {
  test('a stopped lab leaves no namespace, process or folder', async () => {
    const lab = await Lab.start(['solo']);
    const pid = lab.host('solo').initPid;
    assert.ok((await netnsList()).includes(lab.netns));
    assert.is((await lab.exec('solo', 'hostname')).stdout.trim(), 'solo');
    await lab.stop();
    assert.not.ok((await netnsList()).includes(lab.netns));
    assert.ok(await gone(pid), 'host init gone');
    assert.not.ok(existsSync(lab.dir));
    const mounts = await readFile('/proc/mounts', 'utf8');
    assert.not.ok(mounts.includes(lab.dir), 'no mount of the lab left in the machine namespace');
  });

  test('a lab left by a killed run is cleaned up by the next one', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `import { Lab } from ${JSON.stringify(path.join(here, 'lab.js'))};
const lab = await Lab.start(['orphan']);
console.log(JSON.stringify({ netns: lab.netns, dir: lab.dir, pid: lab.host('orphan').initPid }));
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ netns: string; dir: string; pid: number }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.on('exit', () => reject(new Error('the child exited early')));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    assert.ok((await netnsList()).includes(info.netns), 'the crash left its namespace');
    const cleaned = await cleanStaleLabs();
    assert.ok(cleaned.some((id) => info.dir.endsWith(id)));
    assert.not.ok((await netnsList()).includes(info.netns));
    assert.not.ok(existsSync(info.dir));
    assert.ok(await gone(info.pid), 'its hosts were stopped');
  });
} else {
  test('lab unavailable', () => {});
}

test.run();
