/**
 * Builds dist/protocol-helper.cjs: the CLI bundled into one CommonJS file for the credential-helper
 * verbs, which docker and friends run on every pull. One pre-compiled file starts as fast as
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
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/protocol-helper.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  packages: 'external',
  logLevel: 'warning',
  // The keychain worker is located through import.meta.url; the bundle never opens the keychain
  // (the launcher uses it for protocol verbs only, and those ask the agent).
  logOverride: { 'empty-import-meta': 'silent' },
  // main.ts names itself (import.meta.filename) as the command that starts the agent; in the
  // bundle that must stay the TypeScript entry, not the bundle.
  define: { 'import.meta.filename': '__eidf_cli_entry' },
  banner: { js: "const __eidf_cli_entry = require('node:path').join(__dirname, '..', 'src', 'cli', 'main.ts');" },
});
