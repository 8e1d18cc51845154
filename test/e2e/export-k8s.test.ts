import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { writeTinyOciImage } from '../../scripts/sandbox/oci-image.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { parseCommandLine } from '../../src/cli/args.ts';
import { capturedCliDeps } from '../helpers/cli-deps.ts';
import { exportK8sCommand } from '../../src/cli/commands/export-k8s.ts';
import { robotCommand } from '../../src/cli/commands/robot.ts';
import { exitCodeFor } from '../../src/cli/exit-codes.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { EidfError } from '../../src/core/errors.ts';
import { createAgentApp } from '../../src/agent/server/app.ts';
import { RegistryCredentials } from '../../src/credentials/registry-credentials.ts';
import { createRobotRouter } from '../../src/agent/server/routes-robots.ts';
import { prepareRuntimeDir } from '../../src/agent/server/runtime-dir.ts';
import { closeSocketServer, listenOnSocket } from '../../src/agent/server/socket-server.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { VERSION } from '../../src/version.ts';
import { deviceLogin } from '../sandbox/helpers.ts';

// The CLI command functions run in this process against a real agent app on a real unix socket (the robot
// router mounted at /v1/robots as the agent mounts it), a real sandbox Harbor + registry, the real kubectl
// (for parity), a recording stand-in kubectl (for --apply: no cluster can run here) and real skopeo.

const execFileP = promisify(execFile);
const uid = process.getuid?.() ?? 0;

const FAKE_KUBECTL = `#!/bin/sh
: > "$FAKE_KUBECTL_OUT/argv"
for arg in "$@"; do printf '%s\\0' "$arg" >> "$FAKE_KUBECTL_OUT/argv"; done
cat > "$FAKE_KUBECTL_OUT/stdin"
if [ "$FAKE_KUBECTL_MODE" = fail ]; then echo 'error: You must be logged in to the server (Unauthorized)' >&2; exit 1; fi
echo 'secret/eidfreg configured'
`;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  error?: EidfError;
}

describe('export-k8s and robot commands end to end (sandbox, real socket, kubectl, skopeo)', () => {
  let sandbox: Sandbox;
  let work: string;
  let config: Config;
  let env: Record<string, string>;
  let server: Server;
  let fakeBin: string;
  let imageRef: string;

  const run = async (
    command: 'export-k8s' | 'robot',
    args: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<Outcome> => {
    const { deps, output } = capturedCliDeps({ env: { ...env, ...extraEnv }, uid, cwd: work, fetch });
    try {
      const parsed = parseCommandLine([command, ...args]);
      assert.ok(!parsed.help);
      const code = await (command === 'robot' ? robotCommand : exportK8sCommand)(parsed, deps, config);
      return { code, ...output };
    } catch (err) {
      assert.ok(err instanceof EidfError, String(err));
      return { code: exitCodeFor(err.code), ...output, error: err };
    }
  };
  const exportK8s = (args: string[], extraEnv?: Record<string, string>) => run('export-k8s', args, extraEnv);
  const robot = (args: string[]) => run('robot', args);
  const dockerConfigOf = (manifest: string): string =>
    Buffer.from((parse(manifest) as { data: Record<string, string> }).data['.dockerconfigjson'], 'base64').toString(
      'utf8',
    );
  const loginOf = (manifest: string) =>
    (JSON.parse(dockerConfigOf(manifest)) as { auths: Record<string, { username: string; password: string }> }).auths[
      config.registry
    ];
  const robotNames = async () =>
    (JSON.parse((await robot(['list', '--project', 'demo', '--json'])).stdout) as Array<{ fullName: string }>)
      .map((r) => r.fullName)
      .sort();
  const skopeo = (args: string[]) =>
    execFileP('skopeo', args, { env: { PATH: process.env.PATH ?? '', HOME: work } }).then(
      () => 0,
      () => 1,
    );
  let authN = 0;
  const pullsWith = async (dockerConfigJson: string): Promise<number> => {
    const authFile = join(work, `auth-${++authN}.json`);
    await writeFile(authFile, dockerConfigJson, { mode: 0o600 });
    return skopeo(['inspect', '--raw', '--tls-verify=false', '--authfile', authFile, `docker://${imageRef}`]);
  };
  const pullsAs = (username: string, password: string) =>
    pullsWith(
      JSON.stringify({
        auths: { [config.registry]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } },
      }),
    );

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05 });
    work = await mkdtemp(join(tmpdir(), 'eidf-x-'));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      EIDF_HOME: join(work, 'h'),
      EIDF_STORE: 'memory',
      KUBECONFIG: '/nonexistent',
      ...sandbox.env,
    };
    config = loadConfig(env, uid, () => undefined);
    // alice pushes an image with her CLI secret, so there is something to pull.
    const image = join(work, 'image');
    await writeTinyOciImage(image, 'export-k8s e2e\n');
    imageRef = `${sandbox.registryHost}/demo/tiny:1`;
    const aliceAuth = join(work, 'alice.json');
    const auth = Buffer.from(`alice:${sandbox.cliSecretOf('alice')}`).toString('base64');
    await writeFile(aliceAuth, JSON.stringify({ auths: { [sandbox.registryHost]: { auth } } }), { mode: 0o600 });
    assert.equal(
      await skopeo([
        'copy',
        '--dest-tls-verify=false',
        '--authfile',
        aliceAuth,
        `oci:${image}:latest`,
        `docker://${imageRef}`,
      ]),
      0,
    );

    const idToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
    const store = new MemoryStore();
    const logger = { info() {}, warn() {}, debug() {} };
    const clock = { now: () => Date.now() };
    const app = createAgentApp({
      version: VERSION,
      pid: process.pid,
      clock,
      logger,
      credentials: new RegistryCredentials(store),
      store: { kind: 'memory', reason: 'test' },
      requestShutdown: () => {},
      resolveCredential: async () => ({ Username: 'alice', Secret: sandbox.cliSecretOf('alice') as string }),
      routers: {
        robots: createRobotRouter({
          harbor: { baseUrl: config.registryUrl, fetch, timeoutMs: 10_000 },
          registry: config.registry,
          idToken: async () => idToken,
          store,
          clock,
          logger,
        }),
      },
    });
    prepareRuntimeDir(config.paths.runtimeDir, uid);
    server = createServer(app);
    await listenOnSocket(server, config.paths.socket, process.pid);

    fakeBin = join(work, 'fake-bin');
    await mkdir(fakeBin);
    await writeFile(join(fakeBin, 'kubectl'), FAKE_KUBECTL, { mode: 0o755 });
  });
  after(async () => {
    if (server) await closeSocketServer(server, config.paths.socket);
    await sandbox?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('bad namespace or secret name is refused before any robot is created', async () => {
    const before = await robotNames();
    for (const args of [
      ['--namespace', 'Bad_NS'],
      ['--namespace', 'ns', '--name', 'UPPER'],
      ['--namespace', '-x'],
    ]) {
      const out = await exportK8s([...args, '--project', 'demo', '--robot', 'never-made']);
      assert.equal(out.code, 2, out.error?.message);
      assert.equal(out.error?.code, 'USAGE');
      assert.equal(out.stdout, '');
    }
    assert.equal(
      (await exportK8s(['--project', 'demo'])).error?.message.startsWith('export-k8s needs --namespace NS'),
      true,
    );
    assert.equal((await exportK8s(['--namespace', 'ns', '--project', 'demo', '--bogus'])).error?.code, 'USAGE');
    assert.match(
      (await exportK8s(['--namespace', 'ns', '--project', 'demo', '--robot', 'robot$x'])).error?.message ?? '',
      /robot name "robot\$x" is not valid/,
    );
    assert.deepEqual(await robotNames(), before);
  });

  test("the printed Secret equals kubectl's for the same credential, and that credential pulls the image", async () => {
    const out = await exportK8s(['--namespace', 'ns', '--project', 'demo']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /created robot robot\$demo\+k8s-pull, expires \d{4}-\d\d-\d\d \(in 90 days\)/);
    const login = loginOf(out.stdout);
    assert.equal(login.username, 'robot$demo+k8s-pull');
    // Parity with the real kubectl (fixture only: this passes the secret in kubectl's argv, the product never does).
    const { stdout: theirs } = await execFileP(
      'kubectl',
      [
        'create',
        'secret',
        'docker-registry',
        'eidfreg',
        `--docker-server=${config.registry}`,
        `--docker-username=${login.username}`,
        `--docker-password=${login.password}`,
        '--namespace=ns',
        '--dry-run=client',
        '-o',
        'yaml',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: work, KUBECONFIG: '/nonexistent' } },
    );
    assert.equal(dockerConfigOf(out.stdout), dockerConfigOf(theirs));
    assert.equal(out.stdout, theirs);
    assert.equal(await pullsWith(dockerConfigOf(out.stdout)), 0, 'the exported credential pulls');
    assert.equal(await pullsAs(login.username, 'Wrong0Secret'), 1, 'a wrong one does not');

    const json = await exportK8s(['--namespace', 'ns', '--project', 'demo', '-o', 'json']);
    assert.equal((JSON.parse(json.stdout) as { kind: string }).kind, 'Secret');
    assert.equal(dockerConfigOf(json.stdout), dockerConfigOf(out.stdout));
  });

  test('exporting again reuses the robot and its secret; rotate changes it and the old one stops pulling', async () => {
    const first = loginOf((await exportK8s(['--namespace', 'ns', '--project', 'demo'])).stdout);
    const second = await exportK8s(['--namespace', 'other', '--project', 'demo']);
    assert.match(second.stderr, /using robot robot\$demo\+k8s-pull/);
    assert.deepEqual(loginOf(second.stdout), first);
    assert.equal((await robotNames()).filter((n) => n === 'robot$demo+k8s-pull').length, 1);

    const rotated = await robot(['rotate', 'k8s-pull', '--project', 'demo']);
    assert.equal(rotated.code, 0, rotated.error?.message);
    assert.match(
      rotated.stdout,
      /^rotated the secret of robot\$demo\+k8s-pull: the old secret no longer works; [^\n]*\n$/,
    );
    const fresh = await exportK8s(['--namespace', 'ns', '--project', 'demo']);
    const after = loginOf(fresh.stdout);
    assert.equal(after.username, first.username);
    assert.notEqual(after.password, first.password);
    assert.equal(await pullsWith(dockerConfigOf(fresh.stdout)), 0);
    assert.equal(await pullsAs(first.username, first.password), 1, 'the old secret is refused');
  });

  test("--apply sends the manifest on kubectl's stdin only; --context with $ stays one argument", async () => {
    const out = join(work, 'apply-1');
    await mkdir(out);
    const kubectlEnv = { PATH: `${fakeBin}${delimiter}${process.env.PATH ?? ''}`, FAKE_KUBECTL_OUT: out };
    const printed = (await exportK8s(['--namespace', 'ns', '--project', 'demo'])).stdout;
    const applied = await exportK8s(
      [
        '--namespace',
        'ns',
        '--project',
        'demo',
        '--apply',
        '--context',
        'ctx $(id) robot$demo',
        '--kubeconfig',
        '/k/$HOME',
      ],
      kubectlEnv,
    );
    assert.equal(applied.code, 0, applied.error?.message);
    assert.equal(applied.stdout, '', 'nothing on stdout with --apply');
    assert.match(applied.stderr, /kubectl: secret\/eidfreg configured/);
    assert.equal(await readFile(join(out, 'stdin'), 'utf8'), printed);
    const argv = (await readFile(join(out, 'argv'), 'utf8')).split('\0').slice(0, -1);
    assert.deepEqual(argv, ['--kubeconfig=/k/$HOME', '--context=ctx $(id) robot$demo', 'apply', '-f', '-']);
    const { password } = loginOf(printed);
    assert.ok(!argv.join(' ').includes(password));

    // robot rotate --apply: the new secret reaches the cluster (stdin), still not argv.
    const again = await run(
      'robot',
      ['rotate', 'k8s-pull', '--project', 'demo', '--apply', '--namespace', 'ns'],
      kubectlEnv,
    );
    assert.equal(again.code, 0, again.error?.message);
    const sent = loginOf(await readFile(join(out, 'stdin'), 'utf8'));
    assert.notEqual(sent.password, password);
    assert.deepEqual(
      loginOf((await exportK8s(['--namespace', 'ns', '--project', 'demo'])).stdout),
      sent,
      'the store holds what the cluster got',
    );
    assert.ok(!(await readFile(join(out, 'argv'), 'utf8')).includes(sent.password));
  });

  test('kubectl missing or failing: error shown, non-zero exit, no new robot left behind', async () => {
    const before = await robotNames();
    const missing = await exportK8s(['--namespace', 'ns', '--project', 'demo', '--robot', 'no-kubectl', '--apply'], {
      PATH: join(work, 'nowhere'),
    });
    assert.equal(missing.code, 1);
    assert.equal(missing.error?.code, 'KUBECTL_FAILED');
    assert.match(missing.error?.message ?? '', /kubectl not found on PATH/);

    const out = join(work, 'apply-fail');
    await mkdir(out);
    const failing = await exportK8s(['--namespace', 'ns', '--project', 'demo', '--robot', 'kubectl-fails', '--apply'], {
      PATH: `${fakeBin}${delimiter}${process.env.PATH ?? ''}`,
      FAKE_KUBECTL_OUT: out,
      FAKE_KUBECTL_MODE: 'fail',
    });
    assert.equal(failing.code, 1);
    assert.equal(failing.error?.message, 'kubectl apply failed (exit 1)');
    assert.match(failing.stderr, /kubectl: error: You must be logged in to the server \(Unauthorized\)/);
    assert.match(failing.stderr, /deleted robot robot\$demo\+kubectl-fails again, since the export failed/);
    assert.deepEqual(await robotNames(), before);

    // After a rotation the old secret is gone for good, so a failed apply says how to retry.
    const rotate = await run(
      'robot',
      // The full name, as every message shows it, and a context with a space (quoted in the hint).
      [
        'rotate',
        'robot$demo+k8s-pull',
        '--project',
        'demo',
        '--apply',
        '--namespace',
        'ns',
        '--context',
        'dev cluster',
      ],
      { PATH: `${fakeBin}${delimiter}${process.env.PATH ?? ''}`, FAKE_KUBECTL_OUT: out, FAKE_KUBECTL_MODE: 'fail' },
    );
    assert.equal(rotate.code, 1);
    assert.match(
      rotate.error?.message ?? '',
      /^rotated robot\$demo\+k8s-pull, but the Secret was not updated \(kubectl apply failed \(exit 1\)\); retry with: docker-credential-eidf export-k8s --project demo --robot k8s-pull --namespace ns --name eidfreg --apply --context 'dev cluster'$/,
    );
  });

  test("--output-file writes the Secret 0600; --user exports the user's own credential with a warning", async () => {
    const file = join(work, 'secret.yaml');
    const written = await exportK8s(['--namespace', 'ns', '--project', 'demo', '--output-file', file]);
    assert.equal(written.code, 0, written.error?.message);
    assert.equal(written.stdout, '');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(loginOf(await readFile(file, 'utf8')).username, 'robot$demo+k8s-pull');

    const own = await exportK8s(['--namespace', 'ns', '--user']);
    assert.equal(own.code, 0, own.error?.message);
    assert.deepEqual(loginOf(own.stdout), {
      username: 'alice',
      password: sandbox.cliSecretOf('alice'),
      auth: Buffer.from(`alice:${sandbox.cliSecretOf('alice')}`).toString('base64'),
    });
    assert.match(
      own.stderr,
      /warning: exporting your own credential \(alice\): it stops working when your login session/,
    );
    assert.equal((await exportK8s(['--namespace', 'ns', '--user', '--project', 'demo'])).error?.code, 'USAGE');
  });

  test('robot create, list (table, expiry warning) and delete', async () => {
    const created = await robot(['create', 'ci-pull', '--project', 'demo', '--days', '3']);
    assert.equal(created.code, 0, created.error?.message);
    // Calendar days: a robot made for 3 days expires in 3 days (not 2, as whole 24 h periods left would say).
    assert.match(created.stdout, /created robot robot\$demo\+ci-pull \(pull only\), expires .*\(in 3 days\)/);
    const oneDay = await robot(['create', 'one-day', '--project', 'demo', '--days', '1']);
    assert.match(oneDay.stdout, /created robot robot\$demo\+one-day \(pull only\), expires .*\(in 1 day\)/);
    const never = await robot(['create', 'forever', '--project', 'demo', '--days', '-1', '--json']);
    assert.equal((JSON.parse(never.stdout) as { expiresAt: unknown }).expiresAt, null);
    const list = await robot(['list', '--project', 'demo']);
    const header = list.stdout.split('\n')[0];
    assert.match(header, /^NAME\s+USERNAME\s+EXPIRES\s+STATUS\s+SECRET\s+ACCESS$/);
    assert.match(
      list.stdout,
      /\nci-pull\s+robot\$demo\+ci-pull\s+\d{4}-\d\d-\d\d \(in 3 days\)\s+expiring\s+kept\s+repository:pull\n/,
    );
    assert.match(list.stdout, /\nforever\s+robot\$demo\+forever\s+never\s+active\s+kept/);
    assert.match(list.stderr, /warning: robot robot\$demo\+ci-pull expires within 14 days/);
    assert.doesNotMatch(list.stderr, /forever/);
    // The full name every message shows is accepted too; one of another project is refused.
    assert.match(
      (await robot(['delete', 'robot$other+ci-pull', '--project', 'demo'])).error?.message ?? '',
      /^robot "robot\$other\+ci-pull" is not a robot of project demo/,
    );
    const deleted = await robot(['delete', 'robot$demo+ci-pull', '--project', 'demo']);
    assert.match(deleted.stdout, /deleted robot robot\$demo\+ci-pull and the secret kept for it/);
    assert.ok(!(await robotNames()).includes('robot$demo+ci-pull'));
    assert.equal((await robot(['list'])).error?.code, 'USAGE');
    assert.equal((await robot(['frobnicate', '--project', 'demo'])).error?.code, 'USAGE');
    assert.equal(
      (await robot(['rotate', 'nosuch', '--project', 'demo'])).error?.message,
      'no robot named "nosuch" in project "demo"',
    );
    assert.match((await robot(['list', '--project', 'nosuch'])).error?.message ?? '', /no Harbor project "nosuch"/);
  });
});
