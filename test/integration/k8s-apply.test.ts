import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { applyWithKubectl, type KubectlOptions } from '../../src/k8s/kubectl.ts';
import { renderPullSecret } from '../../src/k8s/secret.ts';
import { eidfError } from '../helpers/errors.ts';

// No cluster can run here, so `kubectl` is a stand-in script on a temp PATH that records the argv and
// stdin it received (argv NUL-separated) and behaves as FAKE_KUBECTL_MODE says.
const FAKE_KUBECTL = `#!/bin/sh
: > "$FAKE_KUBECTL_OUT/argv"
for arg in "$@"; do printf '%s\\0' "$arg" >> "$FAKE_KUBECTL_OUT/argv"; done
case "$FAKE_KUBECTL_MODE" in
  fail-early) echo 'error: unknown flag' >&2; exit 1 ;;
  killed) kill -TERM $$ ;;
esac
cat > "$FAKE_KUBECTL_OUT/stdin"
case "$FAKE_KUBECTL_MODE" in
  unauthorized)
    echo 'E0101 12:00:00.000000   1234 memcache.go:265] couldn'"'"'t get current server API group list' >&2
    printf 'error: You must be logged in to the server (Unauthorized)' >&2
    exit 1 ;;
esac
echo 'secret/eidf-pull created'
echo 'Warning: resource secrets/eidf-pull is missing the last-applied annotation' >&2
`;

const root = await mkdtemp(join(tmpdir(), 'eidf-k8s-apply-'));
after(() => rm(root, { recursive: true, force: true }));
const bin = join(root, 'bin');
const emptyBin = join(root, 'empty-bin');
await mkdir(bin);
await mkdir(emptyBin);
await writeFile(join(bin, 'kubectl'), FAKE_KUBECTL, { mode: 0o755 });

const password = 'Sup3r"secret:$(id)`id`\\ é';
const manifest = renderPullSecret(
  {
    name: 'eidf-pull',
    namespace: 'demo',
    server: 'registry.eidf.ac.uk',
    credential: { Username: 'robot$demo+k8s-pull', Secret: password },
  },
  'yaml',
);
const data = manifest.match(/\.dockerconfigjson: (\S+)/)![1];

let n = 0;
async function rig(mode = '', overrides: Partial<KubectlOptions> = {}) {
  const out = join(root, `run-${++n}`);
  await mkdir(out);
  const lines: string[] = [];
  const options: KubectlOptions = {
    env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, FAKE_KUBECTL_OUT: out, FAKE_KUBECTL_MODE: mode },
    stderr: (line) => lines.push(line),
    ...overrides,
  };
  const argv = async () => (await readFile(join(out, 'argv'), 'utf8')).split('\0').slice(0, -1);
  const stdin = () => readFile(join(out, 'stdin'), 'utf8');
  return { out, lines, options, argv, stdin };
}

const kubectlFailed = (message: string | RegExp) => eidfError('KUBECTL_FAILED', message);

test('the manifest reaches kubectl on stdin, byte for byte, and never in argv', async () => {
  const r = await rig();
  await applyWithKubectl(manifest, r.options);
  assert.equal(await r.stdin(), manifest);
  const argv = await r.argv();
  assert.deepEqual(argv, ['apply', '-f', '-']);
  for (const secret of [password, data, 'robot$demo+k8s-pull']) assert.ok(!argv.join(' ').includes(secret));
  // kubectl's stdout and stderr both come to the stderr sink, in line units.
  assert.deepEqual(r.lines.toSorted(), [
    'Warning: resource secrets/eidf-pull is missing the last-applied annotation',
    'secret/eidf-pull created',
  ]);
});

test('--kubeconfig and --context are passed as single arguments, untouched by any shell', async () => {
  const r = await rig();
  const marker = join(root, 'pwned');
  const context = `ctx $(touch ${marker}); \`touch ${marker}\` robot$demo+x`;
  const kubeconfig = join(root, 'dir with space', '$HOME', 'config');
  await applyWithKubectl(manifest, { ...r.options, context, kubeconfig });
  assert.deepEqual(await r.argv(), [`--kubeconfig=${kubeconfig}`, `--context=${context}`, 'apply', '-f', '-']);
  assert.equal(existsSync(marker), false);
  assert.equal(await r.stdin(), manifest);
});

test('an explicit kubectl path is used instead of PATH', async () => {
  const r = await rig();
  // The system PATH (the stand-in needs `cat`) without the stand-in's folder: only the explicit path finds it.
  const env = { ...r.options.env, PATH: process.env.PATH ?? '' };
  await applyWithKubectl(manifest, { ...r.options, kubectl: join(bin, 'kubectl'), env });
  assert.equal(await r.stdin(), manifest);
  assert.deepEqual(r.lines.toSorted(), [
    'Warning: resource secrets/eidf-pull is missing the last-applied annotation',
    'secret/eidf-pull created',
  ]);
});

test('kubectl missing from PATH: one KUBECTL_FAILED line, nothing relayed', async () => {
  const r = await rig();
  await assert.rejects(
    applyWithKubectl(manifest, { ...r.options, env: { ...r.options.env, PATH: emptyBin } }),
    kubectlFailed('kubectl not found on PATH: install kubectl or give the path to it'),
  );
  const missing = join(root, 'nowhere', 'kubectl');
  await assert.rejects(
    applyWithKubectl(manifest, { ...r.options, kubectl: missing }),
    kubectlFailed(`kubectl not found: "${missing}" does not exist`),
  );
  assert.deepEqual(r.lines, []);
});

test('a kubectl that is not executable is reported, not run', async () => {
  const r = await rig();
  const notExecutable = join(root, 'kubectl-not-executable');
  await writeFile(notExecutable, FAKE_KUBECTL);
  await chmod(notExecutable, 0o644);
  await assert.rejects(
    applyWithKubectl(manifest, { ...r.options, kubectl: notExecutable }),
    kubectlFailed(/^could not run kubectl ".*": EACCES$/),
  );
});

test('kubectl failing: its stderr is relayed line by line, then KUBECTL_FAILED with the exit status', async () => {
  const r = await rig('unauthorized');
  await assert.rejects(applyWithKubectl(manifest, r.options), kubectlFailed('kubectl apply failed (exit 1)'));
  assert.deepEqual(r.lines, [
    "E0101 12:00:00.000000   1234 memcache.go:265] couldn't get current server API group list",
    'error: You must be logged in to the server (Unauthorized)', // last line had no newline
  ]);
  assert.equal(await r.stdin(), manifest);
});

test('kubectl exiting before reading stdin does not break the pipe into a crash', async () => {
  const r = await rig('fail-early');
  const big = manifest + `# ${'x'.repeat(4 * 1024 * 1024)}\n`; // more than any pipe buffer
  await assert.rejects(applyWithKubectl(big, r.options), kubectlFailed('kubectl apply failed (exit 1)'));
  assert.deepEqual(r.lines, ['error: unknown flag']);
});

test('kubectl killed by a signal is reported as such', async () => {
  const r = await rig('killed');
  await assert.rejects(
    applyWithKubectl(manifest, r.options),
    kubectlFailed('kubectl apply failed (killed by SIGTERM)'),
  );
});

test("in a real process, kubectl's stdout goes to our stderr and our stdout stays empty", async () => {
  const r = await rig();
  const script = join(root, 'apply-child.ts');
  const kubectlModule = fileURLToPath(new URL('../../src/k8s/kubectl.ts', import.meta.url));
  await writeFile(
    script,
    `import { applyWithKubectl } from ${JSON.stringify(kubectlModule)};
await applyWithKubectl(process.argv[2], { env: process.env, stderr: (line) => process.stderr.write(line + '\\n') });
`,
  );
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, 'kind: Secret\n'], {
    env: r.options.env,
  });
  assert.equal(stdout, '');
  assert.match(stderr, /^secret\/eidf-pull created$/m);
  assert.equal(await r.stdin(), 'kind: Secret\n');
});
