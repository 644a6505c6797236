/**
 * The first run builds the lab's Debian image (debootstrap, a few minutes).
 * Instead of debootstrap's ~900 lines, a person sees one progress line
 * (phase, packages done of total, elapsed); the full output goes to a log
 * file that an error names.
 */

export type Phase = 'starting' | 'downloading' | 'extracting' | 'installing' | 'configuring' | 'finishing';

export class ImageProgress {
  phase: Phase = 'starting';
  downloaded = 0;
  extracted = 0;
  unpacked = 0;
  configured = 0;

  /** Reads one line of image.sh/debootstrap output; true when what is shown changes. */
  feed(line: string): boolean {
    const before = this.line(0);
    const m = /^I: (Retrieving|Extracting|Unpacking|Configuring|Installing core packages|Base system installed)\s*(\S*)/.exec(line);
    if (m) {
      const [, what, name] = m;
      if (what === 'Retrieving' && name !== 'InRelease' && name !== 'Packages') {
        this.phase = 'downloading';
        this.downloaded++;
      } else if (what === 'Extracting') {
        this.phase = 'extracting';
        this.extracted++;
      } else if (what === 'Installing core packages') this.phase = 'installing';
      else if (what === 'Unpacking') {
        this.phase = 'installing';
        this.unpacked++;
      } else if (what === 'Configuring') {
        this.phase = 'configuring';
        this.configured++;
      } else if (what === 'Base system installed') this.phase = 'finishing';
    }
    return this.line(0) !== before;
  }

  /** The one line: phase, count of total, elapsed time. */
  line(elapsedMs: number): string {
    const total = this.downloaded;
    const of = (n: number) => `${Math.min(n, total)}/${total} packages`;
    const what = {
      starting: 'resolving packages',
      downloading: `downloading ${this.downloaded} packages`,
      extracting: `extracting ${this.extracted} base packages`,
      installing: `unpacking ${of(this.unpacked)}`,
      configuring: `configuring ${of(this.configured)}`,
      finishing: 'finishing (sshd, users, apt sources)',
    }[this.phase];
    return `lab image: ${what}${elapsedMs ? `  ${clock(elapsedMs)}` : ''}`;
  }
}

export function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
