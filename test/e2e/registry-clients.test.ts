import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusReport } from '../../src/cli/commands/status.ts';
import { writeTinyOciImage } from '../../scripts/sandbox/oci-image.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { isolatedHome, REPO_ROOT, runCli, runProcess } from '../helpers/cli.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * The registry clients end to end, as real processes: after `login`, docker, skopeo and podman reach the
 * sandbox's Harbor with the CLI secret the helper hands them (read from Harbor by the agent);
 * no config file ever holds it; `rotate-secret --yes` replaces it; and with Harbor gone, `get`
 * still answers the last good secret at once.
 */
describe('registry clients through the helper, secret from Harbor', () => {
  let sandbox: Sandbox;
  let ctx: ReturnType<typeof isolatedHome>;
  let env: NodeJS.ProcessEnv;
  let image: string;
  const dockerFile = () => join(ctx.home, 'docker', 'config.json');
  const authFile = () => join(ctx.home, 'auth.json');
  const ref = (tag: string) => `${sandbox.registryHost}/demo/tiny:${tag}`;
  // Podman keeps its images in a private root (vfs: no mounts left behind), never the machine's.
  const podman = (args: string[]) =>
    runProcess(
      'podman',
      [
        '--storage-driver',
        'vfs',
        '--root',
        join(ctx.home, 'podman'),
        '--runroot',
        join(ctx.home, 'podman-run'),
        ...args,
      ],
      { env },
    );
  const get = () => runCli(['get'], { env, input: sandbox.registryHost });
  const status = async (): Promise<StatusReport> =>
    JSON.parse((await runInProcess(['status', '--json'], { env })).stdout) as StatusReport;

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, autoApprove: 'alice' });
    ctx = isolatedHome({ ...sandbox.env, EIDF_NO_BROWSER: '1' });
    env = {
      ...ctx.env,
      PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
      DOCKER_CONFIG: join(ctx.home, 'docker'),
      REGISTRY_AUTH_FILE: authFile(),
    };
    image = join(ctx.home, 'image');
    await writeTinyOciImage(image, 'registry clients\n');
    const setup = await runInProcess(['setup'], { env });
    assert.equal(setup.code, 0, setup.stderr);
    const login = await runInProcess(['login', '--no-browser'], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /registry secret: valid for Harbor user alice \(read from Harbor\)/);
  });

  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  /** Every file in the home (config files, the agent log, podman's root) must be free of `secret`. */
  const assertNowhereOnDisk = (secret: string) => {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        const info = statSync(path, { throwIfNoEntry: false });
        if (!info) return [];
        return info.isDirectory() ? walk(path) : info.isFile() && info.size < 5_000_000 ? [path] : [];
      });
    for (const file of walk(ctx.home)) assert.ok(!readFileSync(file).includes(secret), `${file} holds the CLI secret`);
  };

  it('get answers alice and her CLI secret, never <token>', async () => {
    const got = await get();
    assert.equal(got.code, 0, got.stderr);
    assert.equal(
      got.stdout,
      `${JSON.stringify({ ServerURL: sandbox.registryHost, Username: 'alice', Secret: sandbox.cliSecretOf('alice') })}\n`,
    );
    assert.doesNotMatch(got.stdout, /<token>/);
  });

  it('skopeo pushes and pulls; docker manifest inspect reads it; all through the helper', async () => {
    const pushed = await runProcess(
      'skopeo',
      ['copy', '--dest-tls-verify=false', `oci:${image}:latest`, `docker://${ref('1')}`],
      { env },
    );
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await runProcess(
      'skopeo',
      ['copy', '--src-tls-verify=false', `docker://${ref('1')}`, `oci:${join(ctx.home, 'pulled')}:latest`],
      { env },
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    const inspect = await runProcess('docker', ['manifest', 'inspect', '--insecure', ref('1')], { env });
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).schemaVersion, 2);
    // The control: demo is private, so without the helper the same read is refused.
    const bare = join(ctx.home, 'bare');
    mkdirSync(bare);
    writeFileSync(join(bare, 'config.json'), '{}');
    const bareEnv = { ...env, HOME: bare, DOCKER_CONFIG: bare, REGISTRY_AUTH_FILE: join(bare, 'config.json') };
    const anonymous = await runProcess('skopeo', ['inspect', '--tls-verify=false', `docker://${ref('1')}`], {
      env: bareEnv,
    });
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /unauthorized|denied|authentication required/i);
  });

  it('podman (as root, private storage) pulls and pushes through the helper', async (t) => {
    const info = await podman(['info', '--format', '{{.Store.GraphDriverName}}']);
    if (info.code !== 0) return t.skip(`podman cannot run here: ${info.stderr.trim().split('\n').pop()}`);
    const pulled = await podman(['pull', '--tls-verify=false', ref('1')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal((await podman(['tag', ref('1'), ref('podman')])).code, 0);
    const pushed = await podman(['push', '--tls-verify=false', ref('podman')]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const check = await runProcess('skopeo', ['inspect', '--tls-verify=false', `docker://${ref('podman')}`], { env });
    assert.equal(check.code, 0, check.stderr);
  });

  it('no file holds the CLI secret; both config files name only the helper', () => {
    assertNowhereOnDisk(sandbox.cliSecretOf('alice') as string);
    for (const file of [dockerFile(), authFile()]) {
      const config = JSON.parse(readFileSync(file, 'utf8')) as {
        credHelpers?: Record<string, string>;
        auths?: Record<string, { auth?: string }>;
      };
      assert.equal(config.credHelpers?.[sandbox.registryHost], 'eidf', file);
      for (const entry of Object.values(config.auths ?? {}))
        assert.equal(entry.auth, undefined, `${file} holds an auth value`);
    }
  });

  it('rotate-secret --yes: warns, the new secret is handed out and works, the old one is refused', async () => {
    const old = sandbox.cliSecretOf('alice') as string;
    const rotated = await runInProcess(['rotate-secret', '--yes'], { env });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stderr, /warning: the old CLI secret for .* stops working at once/);
    assert.match(rotated.stdout, /registry secret: valid/);
    const now = sandbox.cliSecretOf('alice') as string;
    assert.notEqual(now, old);
    assert.equal(JSON.parse((await get()).stdout).Secret, now);
    assert.equal(await probe(sandbox, 'alice', old), 401);
    assert.equal(await probe(sandbox, 'alice', now), 200);
    const inspect = await runProcess('skopeo', ['inspect', '--tls-verify=false', `docker://${ref('1')}`], { env });
    assert.equal(inspect.code, 0, inspect.stderr);
    assertNowhereOnDisk(now);
  });

  it('with Harbor gone, the next check says unreachable and get still answers the last good secret at once', async () => {
    const secret = sandbox.cliSecretOf('alice') as string;
    await sandbox.stop();
    const checked = (await agentCall(ctx.home, 'POST', '/v1/session/secret/check')) as {
      state: string;
      lastError: { code: string };
    };
    assert.equal(checked.state, 'unreachable');
    assert.equal(checked.lastError.code, 'HARBOR_UNREACHABLE');
    const got = await runCli(['get'], { env, input: sandbox.registryHost, timeoutMs: 5_000 });
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).Secret, secret);
    const report = await status();
    assert.equal(report.registrySecret.state, 'unreachable');
    assert.match(report.registrySecret.action ?? '', /last good secret is still used/);
  });
});

/** Harbor's verdict on `user:secret` (the keeper's probe). */
async function probe(sandbox: Sandbox, user: string, secret: string): Promise<number> {
  const res = await fetch(`${sandbox.registryUrl}/service/token?service=harbor-registry`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` },
  });
  await res.body?.cancel();
  return res.status;
}

/** One JSON request to the agent of `home`, over its socket. */
function agentCall(home: string, method: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: join(home, 'run', 'agent.sock'), method, path, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (d: string) => (text += d))
          .on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}
