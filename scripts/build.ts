/**
 * Builds dist/protocol-helper.cjs: the credential-helper verbs (src/cli/helper-main.ts) bundled
 * into one CommonJS file, which docker and friends run on every pull. One pre-compiled file starts as fast as
 * `node -e 0` plus a few ms; the same sources loaded as ~15 ES modules with type stripping cost
 * ~20 ms more per call (measured with hyperfine, Node 24).
 *
 * Packages stay external (loaded from node_modules only when a command needs them), and the
 * agent is still started from the TypeScript sources, so the keychain worker and everything
 * heavy never go through the bundle.
 */
import { build } from 'esbuild';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
await build({
  entryPoints: [join(root, 'src/cli/helper-main.ts')],
  outfile: join(root, 'dist/protocol-helper.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  packages: 'external',
  logLevel: 'warning',
  // protocol-main.ts starts the agent from src/cli/main.ts, found next to itself
  // (import.meta.dirname); in the bundle that folder is src/cli of this checkout, not dist/.
  define: { 'import.meta.dirname': '__eidf_cli_dir' },
  banner: { js: "const __eidf_cli_dir = require('node:path').join(__dirname, '..', 'src', 'cli');" },
});
// The launcher preloads this before either entry so the compile cache is on, in a folder checked
// to be the user's own (src/platform/compile-cache.ts), before anything else is compiled.
await build({
  entryPoints: [join(root, 'src/cli/compile-cache-preload.ts')],
  outfile: join(root, 'dist/compile-cache.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  logLevel: 'warning',
});
