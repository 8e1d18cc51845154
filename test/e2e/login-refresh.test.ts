import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { agentLog, logInAs, loginHome, status, storedRefreshToken, waitFor, type Home } from './login-rig.ts';

const LIFETIME_S = 4;

/** Every "ID token valid until" instant the agent logged (login and each refresh), in order. */
function validUntilInstants(home: string): number[] {
  return [...agentLog(home).matchAll(/ session: ID token valid until (\S+);/g)].map((m) => Date.parse(m[1]));
}

/**
 * The agent keeps the session alive by itself: with ID tokens living 4 s, it refreshes ahead of
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

  it('idTokenExpiresAt moves on across three lifetimes with no command in between', async () => {
    await logInAs(ctx.env, sandbox.approveDevice, 'alice');
    const first = (await status(ctx.env)).report;
    const firstExpiry = Date.parse(first.session!.idTokenExpiresAt!);
    const firstRefreshToken = storedRefreshToken(ctx.home);
    assert.ok(firstRefreshToken);

    // Only the agent's log file is read meanwhile: no request reaches the agent.
    const target = firstExpiry + 3 * LIFETIME_S * 1000;
    await waitFor(
      () => validUntilInstants(ctx.home).some((t) => t >= target),
      60_000,
      () => `the agent did not refresh across three lifetimes:\n${agentLog(ctx.home)}`,
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
      Date.parse(session.idTokenExpiresAt!) >= target,
      `${session.idTokenExpiresAt} is not 3 lifetimes past ${first.session!.idTokenExpiresAt}`,
    );

    const grants = validUntilInstants(ctx.home);
    assert.ok(grants.length >= 4, `login + at least 3 refreshes, got ${grants.length}`);
    for (let i = 1; i < grants.length; i++) assert.ok(grants[i] > grants[i - 1], 'each refresh gave a later expiry');
    // The IdP rotates refresh tokens on every refresh grant; the store holds the newest.
    assert.notEqual(storedRefreshToken(ctx.home), firstRefreshToken);
    assert.doesNotMatch(agentLog(ctx.home), /refresh failed|login failed/);
  });
});
