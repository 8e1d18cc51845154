/**
 * Builds the single executable: dist/sea/docker-credential-eidf, one file that does everything a
 * checkout does (protocol verbs, the agent it starts on demand, login, the keychain). It is
 * Node's own single executable application (SEA): the pinned Node binary with the program injected
 * as a blob. Fully offline: esbuild and postject from node_modules, no download.
 *
 *   node scripts/build-sea.ts [--output FILE] [--no-strip]      (npm run build:sea)
 *
 * Steps (intermediate files in a temp folder, the executable made beside the output and renamed
 * onto it):
 * 1. esbuild bundles src/cli/fast-main.ts (the protocol verbs) as the main script, and
 *    src/cli/main.ts with every package (express, openid-client, uqr) as the asset `cli.cjs`, which
 *    the main script compiles for any other command: a SEA's `require` loads only builtins, so
 *    nothing may stay external.
 * 2. esbuild bundles src/store/keychain-worker.ts alone; it becomes an asset that the keychain
 *    store starts with `new Worker(code, { eval: true })` (see src/platform/sea-keychain.ts).
 * 3. The @napi-rs/keyring addon the checkout would load becomes an asset too; the executable
 *    writes it to a private temp folder the first time the keychain is used.
 * 4. The pinned Node (node_modules/node/bin/node, not whatever `node` is on PATH) writes the SEA
 *    blob with V8's code cache of the script; the agent's Node flags go in as `execArgv`, since a
 *    SEA takes none on its command line.
 * 5. A copy of the pinned Node is stripped of debug symbols (-18 MB; `strip` keeps the dynamic
 *    symbols addons link against) and postject injects the blob.
 *
 * Reads src/, node_modules; writes only the output file (replaced by rename, so a running copy is
 * never corrupted). Prints the output path and size to stderr.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { CACHE_NEUTRAL_V8_FLAGS, SEA_ASSETS } from '../src/platform/runtime.ts';

const root = join(import.meta.dirname, '..');
const pinnedNode = join(root, 'node_modules/node/bin/node');
/** The fuse every Node binary carries; postject flips it so Node looks for the blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/**
 * Node flags of every run of the executable: the agent's flags that leave V8's code-cache hash alone
 * (CACHE_NEUTRAL_V8_FLAGS). Others, such as --optimize-for-size, change the hash the cache is checked
 * against (it is made without them), so `get` would parse its script again (+0.1x node -e 0).
 */
const EXEC_ARGV = ['--disable-warning=ExperimentalWarning', ...CACHE_NEUTRAL_V8_FLAGS];

const USAGE = 'usage: node scripts/build-sea.ts [--output FILE] [--no-strip]';
let options: { output?: string | undefined; 'no-strip'?: boolean | undefined };
try {
  options = parseArgs({
    options: { output: { type: 'string' }, 'no-strip': { type: 'boolean' } },
    strict: true,
  }).values;
} catch (err) {
  process.stderr.write(`build-sea: ${(err as Error).message}; ${USAGE}\n`);
  process.exit(2);
}
const output = resolve(options.output ?? join(root, 'dist/sea/docker-credential-eidf'));
if (process.platform !== 'linux') {
  // macOS needs the blob in a NODE_SEA segment and the binary signed again; not done here.
  process.stderr.write(
    `build-sea: building the single executable is only supported on Linux (this is ${process.platform})\n`,
  );
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'eidf-build-sea-'));
const staged = `${output}.${process.pid}.tmp`;
try {
  const started = Date.now();
  const mainScript = join(work, 'main.cjs');
  const cliScript = join(work, SEA_ASSETS.cli);
  const workerScript = join(work, SEA_ASSETS.keychainWorker);
  // The main script is the fast-first entry (argv first; the protocol verbs only); the whole CLI is
  // an asset it compiles for any other command and for the agent.
  await bundle(join(root, 'src/cli/fast-main.ts'), mainScript, []);
  await bundle(join(root, 'src/cli/main.ts'), cliScript, []);
  // The worker never imports the package in the executable (it loads the addon file it is
  // given), so the package stays out of its bundle.
  await bundle(join(root, 'src/store/keychain-worker.ts'), workerScript, ['@napi-rs/keyring']);

  const config = join(work, 'sea-config.json');
  const blob = join(work, 'sea.blob');
  writeFileSync(
    config,
    JSON.stringify({
      main: mainScript,
      output: blob,
      disableExperimentalSEAWarning: true,
      // V8's compiled code for the main script (the protocol path): without it every `get` parses it
      // again. The cache is made by the same pinned Node that runs it.
      useCodeCache: true,
      execArgv: EXEC_ARGV,
      assets: {
        [SEA_ASSETS.cli]: cliScript,
        [SEA_ASSETS.keychainWorker]: workerScript,
        [SEA_ASSETS.keyringAddon]: keyringAddonFile(),
      },
    }),
  );
  // It says "Wrote single executable preparation blob…" on success: shown only on failure.
  runQuietly(
    'node --experimental-sea-config',
    pinnedNode,
    ['--experimental-sea-config', config],
    /^Wrote single executable/,
  );

  // Made beside the output and renamed onto it at the end: a running copy is never changed.
  mkdirSync(dirname(output), { recursive: true });
  copyFileSync(pinnedNode, staged);
  chmodSync(staged, 0o755);
  if (!options['no-strip']) strip(staged);
  inject(staged, blob);
  renameSync(staged, output);
  const megabytes = (statSync(output).size / 1e6).toFixed(1);
  process.stderr.write(`built ${output} (${megabytes} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(staged, { force: true });
}

async function bundle(entry: string, outfile: string, external: string[]): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    external,
    minify: true,
    // A code-cached SEA script cannot rely on import(): esbuild turns the few left (builtins
    // loaded lazily) into require(), which a SEA serves for builtins.
    supported: { 'dynamic-import': false },
    keepNames: true, // error names and class names stay readable in logs
    legalComments: 'none',
    logLevel: 'warning',
    // keychain.ts reads import.meta.url only outside the executable (runtime.ts decides).
    logOverride: { 'empty-import-meta': 'silent' },
    // main.ts names itself as the agent's script only outside the executable.
    define: { 'import.meta.filename': '""' },
  });
}

/** The addon file @napi-rs/keyring loads on this machine: its index.js picks it by platform. */
function keyringAddonFile(): string {
  const require = createRequire(join(root, 'package.json'));
  require('@napi-rs/keyring');
  const addon = Object.keys(require.cache).find((file) => file.endsWith('.node'));
  if (addon === undefined) throw new Error('build-sea: @napi-rs/keyring loaded no .node addon');
  return addon;
}

function strip(binary: string): void {
  const result = spawnSync('strip', [binary], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    process.stderr.write('build-sea: no `strip` on PATH; the executable keeps its debug symbols (+18 MB)\n');
    return;
  }
  if (result.status !== 0) throw new Error(`build-sea: strip failed: ${result.stderr.trim()}`);
}

function inject(binary: string, blob: string): void {
  const cli = join(root, 'node_modules/postject/dist/cli.js');
  // Besides its progress lines, postject warns "Can't find string offset for section name
  // '.note…'" for Node's ELF notes; that is harmless (the test rig checked).
  const noise = /Start injection of|Injection done|^warning: Can't find string offset for section name '\.note/;
  runQuietly('postject', pinnedNode, [cli, binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], noise);
}

/** Runs a build tool; its stderr lines that match `noise` are dropped, the rest shown. */
function runQuietly(what: string, file: string, args: string[], noise: RegExp): void {
  const result = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((line) => line.trim() !== '' && !noise.test(line));
  if (result.error) throw new Error(`build-sea: ${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`build-sea: ${what} failed: ${lines.join('; ') || `exit ${result.status}`}`);
  for (const line of lines) process.stderr.write(`${line}\n`);
}
