// Bundles the compiled CLI (dist/src/cli.js) into one CommonJS file,
// dist/bundle/cli.cjs: ours, yaml, nunjucks, listr2, ajv's runtime... instead
// of some two hundred modules to resolve and load, ssh2 among them (its
// native part, and cpu-features, still loaded from node_modules). Parts a command may not need (the live view, the
// engine, SSH) are still evaluated only when it needs them. One file is what
// bin/jitsi-fleet.js keeps a V8 code cache of (compiled code, kept between
// runs). Run after tsc by `npm run build` (and so by `npm ci`); the bin uses
// the bundle when it is newer than dist/src/cli.js, else dist/src/ directly.
import { rmSync } from 'node:fs';
import path from 'node:path';

const out = new URL('../dist/bundle/', import.meta.url);
rmSync(out, { recursive: true, force: true });
let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // Installed without devDependencies: the CLI runs from dist/src/, only its start-up is slower.
  console.log('esbuild is not installed: jitsi-fleet runs unbundled (slower start-up)');
  process.exit(0);
}
// ssh2's optional native crypto (built by npm ci) is asked for relative to ssh2's own file: from
// the bundle, the same file is asked for through the package, as Node finds it in any layout.
const nativeFromPackage = {
  name: 'native-from-package',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => {
      const m = /.*node_modules\/(.+)$/.exec(path.resolve(args.resolveDir, args.path));
      if (!m) throw new Error(`bundle: a native module outside node_modules: ${args.path}`);
      return { path: m[1], external: true };
    });
  },
};

await build({
  entryPoints: [new URL('../dist/src/cli.js', import.meta.url).pathname],
  outfile: new URL('cli.cjs', out).pathname,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['cpu-features'],
  plugins: [nativeFromPackage],
  // The sources are ES modules: what they ask of import.meta, as CommonJS has it.
  define: { 'import.meta.url': '__jfModuleUrl', 'import.meta.dirname': '__dirname' },
  banner: { js: "const __jfModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
