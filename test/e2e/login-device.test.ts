import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { accountByUsername } from '../../scripts/sandbox/users.ts';
import { runCli } from '../helpers/cli.ts';
import {
  agentLog,
  LOGIN_URL,
  refreshAtIdp,
  startCli,
  status,
  storedRefreshToken,
  USER_CODE,
  type Home,
  useSandboxAndHome,
  waitFor,
} from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * Issue 4 end to end, as real processes against the sandbox's IdP: `login --no-browser` with a
 * headless approval, `status`, an agent killed with SIGKILL picking the session up again from the
 * file store, and `logout` revoking the refresh token at the IdP.
 */
const ALICE = accountByUsername('alice')!.sub;

describe('device login, restore after SIGKILL, logout', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  useSandboxAndHome((s, h) => {
    sandbox = s;
    ctx = h;
  });

  it('login --no-browser: URL and code on stderr only, approval ends it with exit 0', async () => {
    const login = startCli(['login', '--no-browser'], { env: ctx.env });
    const [, url] = await login.waitForStderr(LOGIN_URL);
    const [, code] = await login.waitForStderr(USER_CODE);
    assert.equal(new URL(url).origin, sandbox.issuer);
    assert.equal(new URL(url).searchParams.get('user_code'), code, 'the URL carries the code it shows');
    // Still waiting for approval: the agent reports the same prompt.
    const waiting = await status(ctx.env);
    assert.equal(waiting.code, 4);
    assert.equal(waiting.report.session?.state, 'logging-in');
    assert.equal(waiting.report.session?.loginPrompt?.user_code, code);

    await sandbox.approveDevice(url, 'alice');
    const result = await login.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '', 'stdout carries protocol bytes only');
    assert.match(result.stderr, /^logged in as alice; the session renews itself/m);
    assert.match(result.stderr, /^registry secret: valid for Harbor user alice/m);
    assert.ok(!result.stderr.includes(storedRefreshToken(ctx.home)!), 'no token on the terminal');
  });

  it('status --json shows alice logged in (exit 0)', async () => {
    const { code, report } = await status(ctx.env);
    assert.equal(code, 0);
    assert.equal(report.loggedIn, true);
    assert.equal(report.session?.state, 'logged-in');
    assert.equal(report.session?.username, 'alice');
    assert.equal(report.session?.subject, ALICE);
    assert.equal(report.session?.loginPrompt, null);
    assert.ok(Date.parse(report.session.idTokenExpiresAt!) > 0);
  });

  it('an agent killed with SIGKILL: the next status restores the session from the store, asking nobody', async () => {
    const before = await status(ctx.env);
    const tokenBefore = storedRefreshToken(ctx.home);
    assert.ok(tokenBefore);
    process.kill(before.report.agent.pid, 'SIGKILL');
    // Gone before the next status: an in-process status connects within a millisecond, and a connection
    // the dying agent had accepted is closed ("the agent closed the connection"), not answered.
    await waitFor(
      () => {
        try {
          process.kill(before.report.agent.pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      10_000,
      () => 'the killed agent is still there',
    );

    const { code, report } = await status(ctx.env);
    assert.notEqual(report.agent.pid, before.report.agent.pid, 'a new agent answered');
    assert.equal(code, 0, JSON.stringify(report.session));
    assert.equal(report.session?.state, 'logged-in');
    assert.equal(report.session?.subject, ALICE);
    assert.equal(report.session?.username, 'alice');
    assert.equal(report.session?.loginPrompt, null, 'no login was started');
    assert.notEqual(
      storedRefreshToken(ctx.home),
      tokenBefore,
      'the restore used (and rotated) the stored refresh token',
    );
    // One login in the whole log: the restore is a refresh, not a second login.
    assert.equal(agentLog(ctx.home).match(/ session: logged in as /g)?.length, 1);
  });

  it('logout: status exit 4, logged out, and the IdP refuses the refresh token read before', async () => {
    const refreshToken = storedRefreshToken(ctx.home);
    assert.ok(refreshToken, 'a refresh token is stored while logged in');

    const logout = await runInProcess(['logout'], { env: ctx.env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.equal(logout.stdout, '');
    assert.match(logout.stderr, /^logged out of /m);
    assert.match(logout.stderr, /^the IdP revoked the refresh token$/m);

    const { code, report } = await status(ctx.env);
    assert.equal(code, 4);
    assert.equal(report.loggedIn, false);
    assert.equal(report.session?.state, 'logged-out');
    assert.equal(report.session?.subject, null);
    assert.equal(storedRefreshToken(ctx.home), undefined, 'the store no longer holds it');

    const idp = await refreshAtIdp(sandbox.issuer, sandbox.cliClientId, refreshToken);
    assert.equal(idp.status, 400);
    assert.equal(idp.body.error, 'invalid_grant');

    // And the registry secret read with the session is no longer handed out.
    const get = await runCli(['get'], { env: ctx.env, input: sandbox.registryHost });
    assert.deepEqual(get, {
      code: 1,
      stdout: 'credentials not found in native keychain\n',
      stderr: `docker-credential-eidf: not logged in to ${sandbox.registryHost}: run docker-credential-eidf login\n`,
    });
  });
});
