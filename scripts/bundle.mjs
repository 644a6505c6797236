// Bundles the compiled CLI (dist/src/cli.js) into dist/bundle/: a few
// files instead of some two hundred modules (ours, yaml, nunjucks, listr2,
// ajv's runtime...), so that a short command spends its time working, not
// resolving and loading modules. Lazily loaded parts (the live view, the
// engine, SSH) stay separate chunks, loaded when a command needs them; ssh2
// (a native addon) stays in node_modules. Run after tsc by `npm run build`
// (and so by `npm ci`); bin/jitsi-fleet.js uses the bundle when it is newer
// than dist/src/cli.js, else dist/src/ directly.
import { rmSync } from 'node:fs';

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
await build({
  entryPoints: [new URL('../dist/src/cli.js', import.meta.url).pathname],
  outdir: out.pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ssh2', 'cpu-features'],
  // CommonJS packages in an ESM bundle ask for node's builtins through require.
  banner: { js: "import { createRequire as __jfRequire } from 'node:module'; const require = __jfRequire(import.meta.url);" },
  logLevel: 'warning',
});
