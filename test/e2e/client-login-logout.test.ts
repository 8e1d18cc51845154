import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { REPO_ROOT, runCli, runProcess } from '../helpers/cli.ts';
import { agentLog, loginHome, refreshAtIdp, status, storedRefreshToken, type Home } from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * Issue 10 §4, as real processes: the clients' own login and logout against the configured registry
 * while a device-login session (alice) exists. `docker login -u bob` stores bob, and bob wins
 * (get, list and status agree, and say why) until `docker logout`, which ends the session as
 * `logout` does (revoked at the IdP). The session's own secret coming back through `store` is not
 * written to the store. `podman logout --all` ends the session too; other registries' erase does not.
 */
describe('docker/podman login and logout with a session', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  let env: NodeJS.ProcessEnv;
  const host = () => sandbox.registryHost;
  const get = () => runCli(['get'], { env, input: host() });
  const list = async () => JSON.parse((await runCli(['list'], { env })).stdout) as Record<string, string>;
  const secretsFile = () => readFileSync(join(ctx.home, 'secrets.json'), 'utf8');
  const logIn = async () => {
    const login = await runInProcess(['login', '--no-browser'], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /registry secret: valid for Harbor user alice/);
  };

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, autoApprove: 'alice' });
    ctx = loginHome(sandbox.env);
    // No engine: the docker CLI logs in client-side (DOCKER_HOST names a socket nobody serves).
    env = {
      ...ctx.env,
      PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
      DOCKER_CONFIG: join(ctx.home, 'docker'),
      DOCKER_HOST: `unix://${join(ctx.home, 'no-engine.sock')}`,
      REGISTRY_AUTH_FILE: join(ctx.home, 'auth.json'),
    };
    assert.equal((await runInProcess(['setup'], { env })).code, 0);
    await logIn();
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it("the session's own secret coming back through store is confirmed, not written to the store", async () => {
    const alice = sandbox.cliSecretOf('alice') as string;
    const stored = await runCli(['store'], {
      env,
      input: JSON.stringify({ ServerURL: host(), Username: 'alice', Secret: alice }),
    });
    assert.deepEqual(stored, { code: 0, stdout: '', stderr: '' });
    assert.ok(!secretsFile().includes(alice), 'the store holds the Harbor-read CLI secret');
    assert.match(
      agentLog(ctx.home),
      /store for .* \(user alice\): the session's own secret, confirmed by the client; not stored/,
    );
    assert.deepEqual(await list(), { [host()]: 'alice' });
  });

  it('docker login -u bob wins over the session user alice: get, list and status say bob, and why', async () => {
    const bob = sandbox.cliSecretOf('bob') as string;
    const login = await runProcess('docker', ['login', '-u', 'bob', '--password-stdin', host()], { env, input: bob });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    const got = await get();
    assert.equal(got.stdout, `${JSON.stringify({ ServerURL: host(), Username: 'bob', Secret: bob })}\n`);
    assert.deepEqual(await list(), { [host()]: 'bob' });
    const { code, report } = await status(env);
    assert.equal(code, 0);
    assert.equal(report.session?.state, 'logged-in');
    assert.equal(report.registrySecret.username, 'bob');
    assert.equal(report.registrySecret.mode, 'stored-secret');
    assert.match(
      report.registrySecret.modeReason ?? '',
      /docker login -u bob.*wins over the session's user alice until erased/,
    );
    const human = await runInProcess(['status'], { env });
    assert.match(
      human.stdout,
      /pulls work: the registry secret of Harbor user bob is valid since .*\n(.*\n)* {2}mode: +CLI secret: stored for bob .*wins over the session's user alice.*\n {2}to switch: +docker logout/,
    );
    assert.match(
      agentLog(ctx.home),
      /stored a credential for .* \(user bob\); probe: Harbor accepts it; registry secret now valid for bob/,
    );
    assert.ok(!agentLog(ctx.home).includes(bob), 'the agent log holds the secret');
  });

  it("erase of another registry leaves the session and the configured registry's credential alone", async () => {
    const other = 'other.registry.example';
    assert.equal(
      (await runCli(['store'], { env, input: JSON.stringify({ ServerURL: other, Username: 'x', Secret: 'other-pw' }) }))
        .code,
      0,
    );
    assert.equal((await runCli(['erase'], { env, input: other })).code, 0);
    assert.deepEqual(await list(), { [host()]: 'bob' });
    assert.equal((await status(env)).report.session?.state, 'logged-in');
  });

  it('docker logout ends the session (revoked at the IdP), erases bob, says so in the agent log', async () => {
    const refreshToken = storedRefreshToken(ctx.home);
    assert.ok(refreshToken);
    const logout = await runProcess('docker', ['logout', host()], { env });
    assert.equal(logout.code, 0, logout.stderr);
    const { code, report } = await status(env);
    assert.equal(code, 4);
    assert.equal(report.session?.state, 'logged-out');
    assert.equal(report.registrySecret.state, 'no-credential');
    assert.equal((await refreshAtIdp(sandbox.issuer, sandbox.cliClientId, refreshToken)).body.error, 'invalid_grant');
    assert.deepEqual(await list(), {});
    const got = await get();
    assert.deepEqual([got.code, got.stdout], [1, 'credentials not found in native keychain\n']);
    const log = agentLog(ctx.home);
    assert.match(
      log,
      /erase for .* \(client logout\): session ended \(revocation at the IdP: revoked\); stored secret erased/,
    );
    // docker erases twice: the second finds nothing and still succeeds.
    assert.match(log, /erase for .* \(client logout\): no session and no stored secret; nothing to end/);
  });

  it('podman logout --all ends the session too', async () => {
    await logIn();
    const refreshToken = storedRefreshToken(ctx.home);
    assert.ok(refreshToken);
    const logout = await runProcess('podman', ['logout', '--all', '--authfile', join(ctx.home, 'auth.json')], { env });
    assert.equal(logout.code, 0, logout.stderr);
    const { code, report } = await status(env);
    assert.equal(code, 4, JSON.stringify(report.session));
    assert.equal(report.session?.state, 'logged-out');
    assert.equal((await refreshAtIdp(sandbox.issuer, sandbox.cliClientId, refreshToken)).body.error, 'invalid_grant');
  });
});
