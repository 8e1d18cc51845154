import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusReport } from '../../src/cli/commands/status.ts';
import { writeTinyOciImage } from '../../scripts/sandbox/oci-image.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { isolatedHome, REPO_ROOT, runCli, runProcess } from '../helpers/cli.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * Fallback mode, as real processes: an IdP whose CLI ID tokens do not carry Harbor's
 * audience. The device login works but Harbor refuses the bearer (401), so the agent says the
 * user is not onboarded; a CLI secret stored by hand (`login --secret-stdin`, or `docker login`
 * through the helper's `store`) is then checked, kept alive and handed out.
 */
describe('fallback: no Harbor-audience ID tokens, a stored CLI secret', () => {
  let sandbox: Sandbox;
  let ctx: ReturnType<typeof isolatedHome>;
  let env: NodeJS.ProcessEnv;
  let image: string;
  const ref = (tag: string) => `${sandbox.registryHost}/demo/fallback:${tag}`;
  const status = async (): Promise<StatusReport> =>
    JSON.parse((await runInProcess(['status', '--json'], { env })).stdout) as StatusReport;
  /** `store`/`erase` start a check in the agent without waiting for it: poll status until `state` (or 15 s). */
  const statusOnceIn = async (state: string): Promise<StatusReport> => {
    const deadline = Date.now() + 15_000;
    let report = await status();
    while (report.registrySecret.state !== state && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      report = await status();
    }
    return report;
  };
  const get = () => runCli(['get'], { env, input: sandbox.registryHost });
  const secret = () => sandbox.cliSecretOf('alice') as string;

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, autoApprove: 'alice', harborAudience: false });
    ctx = isolatedHome({ ...sandbox.env, EIDF_NO_BROWSER: '1' });
    env = {
      ...ctx.env,
      PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
      DOCKER_CONFIG: join(ctx.home, 'docker'),
      REGISTRY_AUTH_FILE: join(ctx.home, 'auth.json'),
    };
    image = join(ctx.home, 'image');
    await writeTinyOciImage(image, 'fallback\n');
    assert.equal((await runInProcess(['setup'], { env })).code, 0);
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('device login works, but Harbor refuses the ID token: not-onboarded, with the way out named', async () => {
    const login = await runInProcess(['login', '--no-browser'], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /logged in as alice/);
    assert.match(login.stderr, /registry secret: not-onboarded: .*login --secret-stdin --username/);
    const report = await status();
    assert.equal(report.registrySecret.state, 'not-onboarded');
    assert.match(
      report.registrySecret.action ?? '',
      new RegExp(`${sandbox.registryUrl.replace(/\./g, '\\.')}/c/oidc/login`),
    );
    const got = await get();
    assert.deepEqual([got.code, got.stdout], [1, 'credentials not found in native keychain\n']);
    assert.match(got.stderr, /does not know you yet/);
  });

  it('login --secret-stdin: stored-secret mode, valid, and skopeo pushes and pulls with it', async () => {
    const stored = await runInProcess(['login', '--secret-stdin', '--username', 'alice'], {
      env,
      input: `${secret()}\n`,
    });
    assert.equal(stored.code, 0, stored.stderr);
    assert.match(stored.stderr, /as Harbor user alice: the CLI secret is stored and kept alive/);
    const report = await status();
    assert.equal(report.registrySecret.state, 'valid');
    assert.equal(report.registrySecret.mode, 'stored-secret');
    assert.match(report.registrySecret.modeReason ?? '', /refused the ID token/);
    assert.equal(
      (await get()).stdout,
      `${JSON.stringify({ ServerURL: sandbox.registryHost, Username: 'alice', Secret: secret() })}\n`,
    );
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
  });

  it('a wrong secret on stdin is refused by Harbor (exit 1), never stored: the good one is still handed out', async () => {
    const wrong = await runInProcess(['login', '--secret-stdin', '--username', 'alice'], {
      env,
      input: 'Not-Her-Secret-1\n',
    });
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /^docker-credential-eidf: Harbor refused user alice with this secret/m);
    assert.doesNotMatch(wrong.stderr, /session/);
    const got = await get();
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).Secret, secret());
  });

  it('docker logout erases it and ends the session; docker login stores it through the helper and the agent uses it', async () => {
    const logout = await runProcess('docker', ['logout', sandbox.registryHost], { env });
    assert.equal(logout.code, 0, logout.stderr);
    const loggedOut = await statusOnceIn('no-credential');
    assert.equal(loggedOut.registrySecret.state, 'no-credential');
    assert.equal(loggedOut.session?.state, 'logged-out');
    const login = await runProcess('docker', ['login', '-u', 'alice', '--password-stdin', sandbox.registryHost], {
      env,
      input: secret(),
    });
    assert.equal(login.code, 0, login.stderr);
    const report = await statusOnceIn('valid');
    assert.equal(report.registrySecret.state, 'valid');
    assert.equal(report.registrySecret.mode, 'stored-secret');
    assert.match(
      readFileSync(join(ctx.home, 'agent.log'), 'utf8'),
      /stored a credential for \S+ \(user alice\); probe: Harbor accepts it; registry secret now valid for alice \(stored-secret: /,
    );
    assert.equal(JSON.parse((await get()).stdout).Secret, secret());
    const inspect = await runProcess('docker', ['manifest', 'inspect', '--insecure', ref('1')], { env });
    assert.equal(inspect.code, 0, inspect.stderr);
    const config = readFileSync(join(ctx.home, 'docker', 'config.json'), 'utf8');
    assert.ok(!config.includes(secret()), 'docker config holds the secret');
  });

  it('logout ends the session and erases the stored secret: nothing is handed out any more', async () => {
    const logout = await runInProcess(['logout'], { env });
    assert.equal(logout.code, 0, logout.stderr);
    const report = await statusOnceIn('no-credential');
    assert.equal(report.registrySecret.state, 'no-credential');
    assert.equal(report.loggedIn, false);
    const got = await get();
    assert.deepEqual([got.code, got.stdout], [1, 'credentials not found in native keychain\n']);
    // The agent's next checks (it checks on its own after the session ends) change nothing.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await status()).registrySecret.state, 'no-credential');
  });
});
