/** The lab image's first build shows one progress line, not debootstrap's 900. */
import { test } from '../helpers/test.ts';
import * as assert from 'uvu/assert';
import { clock, ImageProgress } from '../lab/image-progress.ts';

/** What debootstrap prints, shortened (the package names are real; no mirror address). */
const LOG = [
  'image.sh: debootstrap bookworm (first stage) from the machine\'s mirror into /cache/build.x',
  'I: Retrieving InRelease',
  'I: Checking Release signature',
  'I: Retrieving Packages',
  'I: Resolving dependencies of required packages...',
  ...['adduser', 'apt', 'base-files', 'bash'].flatMap((p) => [`I: Retrieving ${p} 1.0`, `I: Validating ${p} 1.0`]),
  'I: Chosen extractor for .deb packages: dpkg-deb',
  'I: Extracting base-files...',
  'I: Extracting bash...',
  'image.sh: second stage (offline, in namespaces of its own)',
  'I: Installing core packages...',
  'I: Unpacking adduser...',
  'I: Unpacking apt:amd64...',
  'I: Configuring adduser...',
  'I: Configuring apt...',
  'I: Configuring bash...',
  'I: Base system installed successfully.',
];

test('one line per phase with packages done of total; the line only changes when the count does', () => {
  const p = new ImageProgress();
  const shown: string[] = [];
  for (const l of LOG) if (p.feed(l)) shown.push(p.line(0));
  assert.equal(shown, [
    'lab image: downloading 1 packages',
    'lab image: downloading 2 packages',
    'lab image: downloading 3 packages',
    'lab image: downloading 4 packages',
    'lab image: extracting 1 base packages',
    'lab image: extracting 2 base packages',
    'lab image: unpacking 0/4 packages',
    'lab image: unpacking 1/4 packages',
    'lab image: unpacking 2/4 packages',
    'lab image: configuring 1/4 packages',
    'lab image: configuring 2/4 packages',
    'lab image: configuring 3/4 packages',
    'lab image: finishing (sshd, users, apt sources)',
  ]);
  assert.is(p.line(95_000), 'lab image: finishing (sshd, users, apt sources)  1:35');
  assert.is(clock(3_600), '0:04');
});

test.run();
