/**
 * `npm run demo`: a main Jitsi server of today (jitsi-videobridge2, the
 * brewery room) and two new bridges in the lab, the add-bridge playbook run
 * against them with live progress, and the bridges jicofo sees in the
 * brewery afterwards, ending with `jitsi-fleet status`. `npm run demo -- --legacy`: the same on the legacy
 * generation (components, pubsub). The lab is torn down at the end (also on Ctrl-C).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN, ROOT } from '../helpers/cli.ts';
import { JitsiLab } from './jitsi.ts';
import { labProblem } from './lab.ts';

async function main(): Promise<number> {
  const problem = await labProblem();
  if (problem) {
    console.error(`demo: ${problem}`);
    return 1;
  }
  const legacy = process.argv.includes('--legacy');
  const generation = legacy ? 'legacy' : 'current';
  console.log(`demo: starting the lab: a ${legacy ? 'legacy' : 'current'} Jitsi Meet main server (meet) and two empty Debian hosts (jvb2, jvb3)...`);
  const j = await JitsiLab.start('meet', ['jvb2', 'jvb3'], { generation });
  const seenNow = (want?: number) => (legacy ? j.jicofoSees(want) : j.breweryOccupants(want));
  const where = legacy ? "through prosody's pubsub node" : 'in the brewery room';
  const stop = () => void j.stop().then(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const { home } = await j.workspace();
    const inv = path.join(j.lab.dir, 'work', 'hosts.yml');
    await writeFile(inv, legacy ? j.inventory({ jvb2: 'videobridge2', jvb3: 'videobridge3' }) : j.inventory({ jvb2: undefined, jvb3: undefined }));
    console.log(`demo: jicofo sees ${where} before: ${(await seenNow(legacy ? undefined : 1)).join(', ') || '(no bridge)'}`);
    console.log('demo: npx jitsi-fleet run playbooks/add-bridge.yml\n');
    const code = await new Promise<number>((resolve) => {
      const [ip, ...pre] = j.lab.controllerPrefix();
      const child = spawn(ip, [...pre, process.execPath, BIN, 'run', path.join(ROOT, 'playbooks', 'add-bridge.yml'), '-i', inv], {
        stdio: 'inherit',
        env: { ...process.env, HOME: home, SSH_AUTH_SOCK: '' },
      });
      child.on('close', (c) => resolve(c ?? 1));
    });
    const seen = await seenNow(3);
    console.log(`\ndemo: the playbook exited ${code}; jicofo sees ${seen.length} bridges ${where}:`);
    for (const b of seen) console.log(`  - ${b}`);
    console.log('\ndemo: npx jitsi-fleet status\n');
    const status = await new Promise<number>((resolve) => {
      const [ip, ...pre] = j.lab.controllerPrefix();
      const child = spawn(ip, [...pre, process.execPath, BIN, 'status', '-i', inv], { stdio: 'inherit', env: { ...process.env, HOME: home, SSH_AUTH_SOCK: '' } });
      child.on('close', (c) => resolve(c ?? 1));
    });
    return code === 0 && seen.length === 3 && status === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    await j.stop();
    console.log('demo: lab torn down');
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`demo: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  },
);
