/**
 * Builds dist/ (run by `npm ci`, `npm test`, install.sh):
 *
 * - dist/docker-credential-eidf.cjs: what install.sh links onto PATH unless told to install the
 *   single executable. src/cli/fast-main.ts bundled as CommonJS with a `#!` line naming this
 *   checkout's pinned Node: docker execs it with no shell in front, and it loads only the protocol
 *   path for the protocol verbs; anything else loads dist/cli.cjs.
 * - dist/cli.cjs: the whole CLI and the agent (src/cli/main.ts) in one file, every package inside
 *   but the keychain addon; the keychain worker still runs from src/store (a worker thread that
 *   lives only while the keychain is in use).
 * - dist/compile-cache.cjs: the checkout launcher's (bin/) compile-cache preload; the launcher runs
 *   dist/docker-credential-eidf.cjs when it is current.
 * - dist/build-stamp: its modification time is the newest of the files these are built from, which
 *   the launcher compares (`find -newer`) so that it never runs a bundle older than the sources.
 *
 * Type-stripped sources loaded as ~15 ES modules cost ~20 ms more per call than one bundled file.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const root = join(import.meta.dirname, '..');
const pinnedNode = join(root, 'node_modules/node/bin/node');
const common: BuildOptions = { bundle: true, platform: 'node', format: 'cjs', target: 'node24', logLevel: 'warning' };
// The stamp is taken before the build: a source saved during it makes the bundle stale, not current.
const newestSource = newestMtime([join(root, 'src'), join(root, 'package-lock.json'), import.meta.filename]);

// The launcher preloads this before either entry so the compile cache is on, in a folder checked
// to be the user's own (src/platform/compile-cache.ts), before anything else is compiled.
await buildAtomically({
  ...common,
  entryPoints: [join(root, 'src/cli/compile-cache-preload.ts')],
  outfile: join(root, 'dist/compile-cache.cjs'),
});
const installed = join(root, 'dist/docker-credential-eidf.cjs');
await buildAtomically(
  {
    ...common,
    entryPoints: [join(root, 'src/cli/fast-main.ts')],
    outfile: installed,
    packages: 'external',
    define: { 'import.meta.filename': '__filename' },
    // A path with white space cannot be a `#!` interpreter: then `node dist/…` is the way to run it.
    banner: { js: `#!${pinnedNode}` },
  },
  0o755,
);
await buildAtomically({
  ...common,
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/cli.cjs'),
  external: ['@napi-rs/keyring'],
  // Half the source text the agent keeps in memory; names stay for logs and errors.
  minify: true,
  keepNames: true,
  legalComments: 'none',
  // main.ts names itself as the agent's script: the installed entry beside this file.
  // keychain.ts starts its worker from src/store/keychain-worker.ts of this checkout.
  define: { 'import.meta.filename': '__eidf_entry', 'import.meta.url': '__eidf_keychain_url' },
  banner: {
    js: [
      "const __eidf_entry = require('node:path').join(__dirname, 'docker-credential-eidf.cjs');",
      "const __eidf_keychain_url = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'src', 'store', 'keychain.ts')).href;",
    ].join('\n'),
  },
});
// Bundles that earlier versions built and this one does not (protocol-helper.cjs, until 4fbed82):
// removed, so that nothing runs a stale one by mistake.
for (const gone of ['protocol-helper.cjs']) rmSync(join(root, 'dist', gone), { force: true });
// The launcher asks `find … -newer dist/build-stamp`: the stamp carries the newest source's time.
const stamp = join(root, 'dist/build-stamp');
writeFileSync(stamp, `${new Date(newestSource).toISOString()}\n`);
// Rounded up a millisecond: `find -newer` compares nanoseconds, and utimes takes less precision.
const stampSeconds = (Math.ceil(newestSource) + 1) / 1000;
utimesSync(stamp, stampSeconds, stampSeconds);

/**
 * Builds one bundle and puts it in place with a rename: bin/ and the tests run these files while a
 * build may be rewriting them (install.sh --script builds), and a process must read the old file or
 * the new one, never half of one.
 */
async function buildAtomically(options: BuildOptions & { outfile: string }, mode = 0o644): Promise<void> {
  const { outputFiles } = await build({ ...options, write: false });
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents, { mode });
    renameSync(temporary, file.path);
  }
}

/** The newest mtime (whole seconds, as `find -newer` and `test -nt` compare) under the given paths. */
function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    const stat = statSync(path);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(readdirSync(path).map((name) => join(path, name))));
    else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}
