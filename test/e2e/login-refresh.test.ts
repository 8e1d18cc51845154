import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import {
  agentLog,
  idpRefreshes,
  logInAs,
  loginHome,
  status,
  storedRefreshToken,
  waitFor,
  type Home,
} from './login-rig.ts';

const LIFETIME_S = 2;

/**
 * The agent keeps the session alive by itself: with ID tokens living 2 s, it refreshes ahead of
 * expiry, again and again, while nothing talks to it.
 */
describe('the agent refreshes the session on its own', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, registry: false, accessTokenTtl: LIFETIME_S });
    ctx = loginHome(sandbox.env);
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('three refreshes at the IdP with no command in between; idTokenExpiresAt moves on past a lifetime', async () => {
    await logInAs(ctx.env, sandbox.approveDevice, 'alice');
    const first = (await status(ctx.env)).report;
    const firstExpiry = Date.parse(first.session!.idTokenExpiresAt!);
    const firstRefreshToken = storedRefreshToken(ctx.home);
    assert.ok(firstRefreshToken);

    // Only the IdP is watched meanwhile: no request reaches the agent. (Tokens living 2 s are
    // refreshed at half-life, 0.9-1 s apart: three refreshes outlast the first token.)
    await waitFor(
      () => idpRefreshes(sandbox).length >= 3,
      60_000,
      () => `the agent did not refresh three times:\n${agentLog(ctx.home)}`,
    );

    const later = await waitFor(
      async () => {
        const s = await status(ctx.env);
        return s.report.session?.state === 'logged-in' ? s : undefined; // not caught mid-refresh
      },
      10_000,
      () => 'status never showed logged-in',
    );
    assert.equal(later.code, 0);
    const session = later.report.session!;
    assert.equal(session.subject, first.session!.subject);
    assert.equal(session.username, 'alice');
    assert.equal(session.lastError, null);
    assert.ok(
      Date.parse(session.idTokenExpiresAt!) > firstExpiry + LIFETIME_S * 1000,
      `${session.idTokenExpiresAt} is not a lifetime past ${first.session!.idTokenExpiresAt}`,
    );
    assert.ok(
      idpRefreshes(sandbox).every((r) => r.status === 200),
      'the IdP answered every refresh',
    );
    // The IdP rotates refresh tokens on every refresh grant; the store holds the newest.
    assert.notEqual(storedRefreshToken(ctx.home), firstRefreshToken);
    assert.doesNotMatch(agentLog(ctx.home), /refresh failed|login failed/);
  });
});
