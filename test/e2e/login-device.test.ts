import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { accountByUsername } from '../../scripts/sandbox/users.ts';
import { join } from 'node:path';
import type { CliDeps } from '../../src/cli/deps.ts';
import { run } from '../../src/cli/dispatch.ts';
import { processDeps } from '../../src/cli/process-deps.ts';
import { REPO_ROOT, runCli } from '../helpers/cli.ts';
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
} from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * The device login end to end, as real processes against the sandbox's IdP: `login --no-browser` with a
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

  it('an agent killed with SIGKILL, status at once: a new agent restores the session from the store, asking nobody', async () => {
    const before = await status(ctx.env);
    const tokenBefore = storedRefreshToken(ctx.home);
    assert.ok(tokenBefore);
    process.kill(before.report.agent.pid, 'SIGKILL');
    // At once, in-process: the dying agent's socket still takes the connection and then resets it;
    // status is safe to repeat, so the client waits until the socket refuses and starts a new agent.
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

  it('status for people on stdout: logged in, pulls work, next login by the date the IdP gives', async () => {
    const human = await runCli(['status'], { env: ctx.env });
    assert.equal(human.code, 0);
    assert.equal(human.stderr, '', 'the report goes to stdout');
    assert.match(human.stdout, /^✓ logged in as alice \(device login at http:\/\/127\.0\.0\.1:\d+\)$/m);
    assert.match(
      human.stdout,
      /^✓ pulls work: the registry secret of Harbor user alice is valid since (\d+ (s|min) ago|just now)$/m,
    );
    // The sandbox IdP sends refresh_expires_in (1 h idle by default), as Keycloak does.
    assert.match(
      human.stdout,
      /^ {2}next login: +renews itself; next login needed by \w{3} \d+ \w{3} \d{4}, \d\d:\d\d \(in 59 min\)$/m,
    );
    assert.ok(!human.stdout.includes('\x1b'), 'no colour when stdout is not a terminal');
    const { report } = await status(ctx.env);
    const until = Date.parse(report.session?.refreshTokenExpiresAt ?? '');
    assert.ok(
      Math.abs(until - (Date.now() + 3_600_000)) < 120_000,
      `refreshTokenExpiresAt ${report.session?.refreshTokenExpiresAt}`,
    );
  });

  it('login while logged in: without a terminal it says so and changes nothing; on one it asks; --force logs in anew', async () => {
    const logins = () => agentLog(ctx.home).match(/ session: logged in as /g)?.length ?? 0;
    const before = logins();
    const again = await runCli(['login', '--no-browser'], { env: ctx.env });
    assert.deepEqual({ code: again.code, stdout: again.stdout }, { code: 0, stdout: '' });
    assert.match(
      again.stderr,
      /^already logged in to 127\.0\.0\.1:\d+ as alice \(device login\); nothing changed \(docker-credential-eidf login --force logs in again\)\n$/,
    );
    assert.equal((await status(ctx.env)).report.session?.loginPrompt, null, 'no login was started');

    // On a terminal (in process, the real agent): the question, and "no" changes nothing.
    const asked: string[] = [];
    let stderr = '';
    const deps: CliDeps = {
      ...processDeps(join(REPO_ROOT, 'src', 'cli', 'main.ts')),
      env: ctx.env,
      stderr: { write: (text) => void (stderr += text), isTTY: true },
      terminal: {
        ask: async (question) => {
          asked.push(question);
          return 'n';
        },
      },
    };
    assert.equal(await run(['login', '--no-browser'], deps), 0);
    assert.deepEqual(asked, [
      `already logged in to ${sandbox.registryHost} as alice (device login). Log in again? [y/N] `,
    ]);
    assert.equal(stderr, 'nothing changed\n');

    const forced = startCli(['login', '--no-browser', '--force'], { env: ctx.env });
    const [, url] = await forced.waitForStderr(LOGIN_URL);
    await sandbox.approveDevice(url, 'alice');
    const result = await forced.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(logins(), before + 1, 'a second login');
  });

  it('logout: status exit 4, logged out, and the IdP refuses the refresh token read before', async () => {
    const refreshToken = storedRefreshToken(ctx.home);
    assert.ok(refreshToken, 'a refresh token is stored while logged in');

    const logout = await runInProcess(['logout'], { env: ctx.env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /^logged out of /m);
    assert.match(logout.stdout, /^the IdP revoked the refresh token$/m);

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
