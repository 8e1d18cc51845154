import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { REPO_ROOT, runProcess } from '../helpers/cli.ts';
import { startDockerEngine, type DockerEngine } from './docker-engine.ts';
import { agentLog, loginHome, refreshAtIdp, status, storedRefreshToken, type Home } from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * Issue 10 §7: a real Docker engine (dockerd from docker.io, private folders, vfs) and the docker
 * CLI, with the helper wired by `setup` and a device-login session for alice on the sandbox's real
 * registry. `docker login <host>` with no username succeeds without a prompt (the engine checks what
 * `get` answered), push and pull go through the engine with the helper's secret, `docker logout`
 * ends the session, and config.json never holds the secret.
 */
describe('a real Docker engine through the helper', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  let env: NodeJS.ProcessEnv;
  let engine: DockerEngine | undefined;
  let cannotStart: string | undefined;
  const host = () => sandbox.registryHost;
  const ref = () => `${host()}/demo/engine:1`;
  const docker = (args: string[], input?: string | Uint8Array) =>
    runProcess('docker', args, { env, ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });
  const dockerConfig = () => join(ctx.home, 'docker', 'config.json');

  before(async () => {
    // dockerd and the sandbox start side by side (each takes seconds); a sandbox not needed is stopped.
    const [started, sandboxStarted] = await Promise.all([
      startDockerEngine(),
      startSandbox({ devicePollInterval: 0.05, autoApprove: 'alice' }),
    ]);
    sandbox = sandboxStarted;
    if ('cannotStart' in started) {
      cannotStart = started.cannotStart;
      return;
    }
    engine = started;
    ctx = loginHome(sandbox.env);
    env = {
      ...ctx.env,
      PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
      DOCKER_CONFIG: join(ctx.home, 'docker'),
      DOCKER_HOST: engine.host,
    };
    assert.equal((await runInProcess(['setup'], { env })).code, 0);
    const login = await runInProcess(['login', '--no-browser'], { env });
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await Promise.all([engine?.stop(), ctx?.cleanup().then(() => sandbox?.stop()) ?? sandbox?.stop()]);
  });

  it('docker login <host> with no username: Login Succeeded without a prompt; the secret is not stored', async (t) => {
    if (cannotStart) return t.skip(cannotStart);
    const login = await docker(['login', host()], '');
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    // No prompt: docker says which stored user it checked, and asks for nothing.
    assert.match(login.stdout + login.stderr, /Authenticating with existing credentials\.\.\. \[Username: alice\]/);
    assert.doesNotMatch(login.stdout + login.stderr, /^Username:|Password:/m);
    assert.match(agentLog(ctx.home), /\(user alice\): the session's own secret, confirmed by the client; not stored/);
    assert.ok(!readFileSync(join(ctx.home, 'secrets.json'), 'utf8').includes(sandbox.cliSecretOf('alice') as string));
  });

  it('docker push and docker pull of an imported image go through the engine with the helper', async (t) => {
    if (cannotStart) return t.skip(cannotStart);
    const root = join(ctx.home, 'rootfs');
    mkdirSync(root);
    writeFileSync(join(root, 'hello.txt'), 'pushed through a real engine\n');
    const tarball = execFileSync('tar', ['-C', root, '-c', '.']);
    const imported = await docker(['import', '-', ref()], tarball);
    assert.equal(imported.code, 0, imported.stderr);
    const pushed = await docker(['push', ref()]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /digest: sha256:/);
    assert.equal((await docker(['rmi', ref()])).code, 0);
    const pulled = await docker(['pull', ref()]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /Downloaded newer image/);
    // The control: without the helper's secret the engine is refused (demo is private).
    const anonymousConfig = join(ctx.home, 'anonymous');
    mkdirSync(anonymousConfig);
    writeFileSync(join(anonymousConfig, 'config.json'), '{}');
    const refused = await runProcess('docker', ['pull', ref()], { env: { ...env, DOCKER_CONFIG: anonymousConfig } });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /unauthorized|denied|authentication required/i);
  });

  it('docker logout ends the session (status exit 4, the IdP refuses the refresh token); config.json holds no secret', async (t) => {
    if (cannotStart) return t.skip(cannotStart);
    const refreshToken = storedRefreshToken(ctx.home);
    assert.ok(refreshToken);
    const secret = sandbox.cliSecretOf('alice') as string;
    const logout = await docker(['logout', host()]);
    assert.equal(logout.code, 0, logout.stderr);
    const { code, report } = await status(env);
    assert.equal(code, 4);
    assert.equal(report.session?.state, 'logged-out');
    assert.equal((await refreshAtIdp(sandbox.issuer, sandbox.cliClientId, refreshToken)).body.error, 'invalid_grant');
    const config = readFileSync(dockerConfig(), 'utf8');
    assert.ok(!config.includes(secret), 'config.json holds the CLI secret');
    assert.ok(!config.includes(Buffer.from(`alice:${secret}`).toString('base64')), 'config.json holds an auth value');
    assert.equal((JSON.parse(config) as { credHelpers?: Record<string, string> }).credHelpers?.[host()], 'eidf');
    const pull = await docker(['pull', ref()]);
    assert.notEqual(pull.code, 0, 'a pull after logout still worked');
  });
});
