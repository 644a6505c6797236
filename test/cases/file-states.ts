/**
 * One table of `file` module cases, run by real ansible-playbook and by
 * jitsi-fleet (test/compat/file-module.test.ts): each case starts from the
 * same folder made by `setup` (a shell script run in it), and both tools must
 * leave the same tree (kinds, modes, owners, link targets) and report the same
 * changed and failed flags, on the first run and on the second.
 * `D` in args and setup is the case's folder.
 */
export interface FileCase {
  name: string;
  setup: string;
  args: Record<string, unknown>;
}

export const fileCases: FileCase[] = [
  { name: 'directory with missing parents and a mode', setup: '', args: { path: 'D/a/b/c', state: 'directory', mode: '0750' } },
  { name: 'directory that exists with that mode', setup: 'mkdir -m 755 D/x', args: { path: 'D/x', state: 'directory', mode: '0755' } },
  { name: 'directory whose mode differs', setup: 'mkdir -m 700 D/x', args: { path: 'D/x', state: 'directory', mode: '0755' } },
  { name: 'directory where a file is', setup: 'echo hi > D/x', args: { path: 'D/x', state: 'directory' } },
  { name: 'state file on a missing file fails', setup: '', args: { path: 'D/x', state: 'file' } },
  { name: 'state file sets a symbolic mode', setup: 'echo hi > D/x; chmod 644 D/x', args: { path: 'D/x', state: 'file', mode: 'u=rw,g=,o=' } },
  { name: 'no state: the existing file gets its mode', setup: 'echo hi > D/x; chmod 600 D/x', args: { path: 'D/x', mode: '0640' } },
  { name: 'owner and group', setup: 'echo hi > D/x', args: { path: 'D/x', owner: 'nobody', group: 'nogroup' } },
  { name: 'modification_time set to a given time (then nothing to do)', setup: 'echo hi > D/x', args: { path: 'D/x', modification_time: '202202081414.00' } },
  { name: 'touch preserving both times changes nothing', setup: 'echo hi > D/x; chmod 644 D/x', args: { path: 'D/x', state: 'touch', access_time: 'preserve', modification_time: 'preserve', mode: '0644' } },
  { name: 'touch creates a file', setup: '', args: { path: 'D/x', state: 'touch', mode: '0600' } },
  { name: 'absent removes a tree', setup: 'mkdir -p D/t/u; echo 1 > D/t/u/f', args: { path: 'D/t', state: 'absent' } },
  { name: 'absent when already absent', setup: '', args: { path: 'D/t', state: 'absent' } },
  { name: 'a relative symbolic link', setup: 'echo hi > D/target', args: { path: 'D/link', src: 'target', state: 'link' } },
  { name: 'a link already right', setup: 'echo hi > D/target; ln -s target D/link', args: { path: 'D/link', src: 'target', state: 'link' } },
  { name: 'a link pointing elsewhere is repointed', setup: 'echo hi > D/target; echo 2 > D/other; ln -s other D/link', args: { path: 'D/link', src: 'target', state: 'link' } },
  { name: 'a link over a file without force fails', setup: 'echo hi > D/target; echo 2 > D/link', args: { path: 'D/link', src: 'target', state: 'link' } },
  { name: 'a link over a file with force', setup: 'echo hi > D/target; echo 2 > D/link', args: { path: 'D/link', src: 'target', state: 'link', force: true } },
  { name: 'a link over an empty directory with force replaces it', setup: 'echo hi > D/target; mkdir D/link', args: { path: 'D/link', src: 'target', state: 'link', force: true } },
  { name: 'a link over a directory with files, with force, fails', setup: 'echo hi > D/target; mkdir D/link; echo 1 > D/link/f', args: { path: 'D/link', src: 'target', state: 'link', force: true } },
  { name: 'a link over an empty directory without force fails', setup: 'echo hi > D/target; mkdir D/link', args: { path: 'D/link', src: 'target', state: 'link' } },
  { name: 'a link to a missing src without force fails', setup: '', args: { path: 'D/link', src: 'nowhere', state: 'link' } },
  { name: 'a link to a missing src with force', setup: '', args: { path: 'D/link', src: 'nowhere', state: 'link', force: true } },
  { name: 'a hard link', setup: 'echo hi > D/target', args: { path: 'D/hard', src: 'D/target', state: 'hard' } },
  { name: 'recurse sets owner on a tree', setup: 'mkdir -p D/t/u; echo 1 > D/t/u/f; echo 2 > D/t/g', args: { path: 'D/t', state: 'directory', owner: 'nobody', recurse: true } },
  { name: 'recurse with a mode', setup: 'mkdir -p D/t/u; echo 1 > D/t/u/f; chmod 600 D/t/u/f', args: { path: 'D/t', state: 'directory', mode: '0755', recurse: true } },
  { name: 'recurse without state directory fails', setup: 'echo hi > D/x', args: { path: 'D/x', state: 'file', recurse: true } },
  { name: 'a mode on a link with follow: its target changes', setup: 'echo hi > D/target; chmod 600 D/target; ln -s target D/link', args: { path: 'D/link', mode: '0644', follow: true } },
  { name: 'state link without src keeps the target and sets its mode', setup: 'echo hi > D/target; chmod 600 D/target; ln -s target D/link', args: { path: 'D/link', state: 'link', mode: '0640' } },
  { name: 'state link without src and follow off leaves the target alone', setup: 'echo hi > D/target; chmod 600 D/target; ln -s target D/link', args: { path: 'D/link', state: 'link', mode: '0640', follow: false } },
  { name: 'symbolic modes with X, s and t over a tree', setup: 'mkdir -p D/t/u; echo 1 > D/t/u/f; chmod 600 D/t/u/f', args: { path: 'D/t', state: 'directory', mode: 'u=rwX,g+s,o+t', recurse: true } },
  { name: 'recurse follows links into what they point at', setup: 'mkdir -p D/real D/t; echo 1 > D/real/f; chmod 644 D/real/f; ln -s ../real D/t/l; ln -s nowhere D/t/broken', args: { path: 'D/t', state: 'directory', mode: 'o-r', recurse: true } },
  { name: 'a hard link asked where a folder is lands inside it', setup: 'echo hi > D/target; mkdir D/dir', args: { path: 'D/dir', src: 'D/target', state: 'hard' } },
  { name: 'src without state link or hard fails', setup: 'echo hi > D/x', args: { path: 'D/x', src: 'D/x' } },
  { name: 'a symbolic mode on a new folder', setup: '', args: { path: 'D/n/m', state: 'directory', mode: 'u=rwx,g=rx,o=' } },
  // chattr flags (lsattr's letters compared as Ansible's: 'A' sets exactly A, '+A' adds, '-A' always runs).
  { name: 'attributes set exactly', setup: 'echo hi > D/x', args: { path: 'D/x', state: 'file', attributes: 'A' } },
  { name: 'attributes added (attr, its alias)', setup: 'echo hi > D/x', args: { path: 'D/x', attr: '+A' } },
  { name: 'attributes removed: changed every time', setup: 'echo hi > D/x; chattr +A D/x', args: { path: 'D/x', attributes: '-A' } },
  { name: 'attributes and a mode on a new folder', setup: '', args: { path: 'D/n', state: 'directory', mode: '0750', attributes: '+A' } },
];
