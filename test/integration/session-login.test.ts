import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../src/core/ports.ts';
import { refreshTokenKey } from '../../src/core/store-keys.ts';
import { createOidcClient } from '../../src/oidc/client.ts';
import { SessionManager } from '../../src/session/session-manager.ts';
import type { SessionEvent } from '../../src/session/types.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { startTestIdp, TEST_SCOPES } from '../helpers/test-idp.ts';
import type { TestIdp } from '../helpers/test-idp.ts';

const quiet: Logger = { info() {}, warn() {}, debug() {} };

function sessionFor(idp: TestIdp) {
  const oidc = createOidcClient({
    issuer: idp.issuer,
    clientId: idp.clientId,
    scopes: TEST_SCOPES,
    allowInsecureLoopback: true,
  });
  const store = new MemoryStore();
  const session = new SessionManager({ oidc, store, clock: { now: () => Date.now() }, logger: quiet });
  return { session, store, key: refreshTokenKey(idp.issuer, idp.clientId) };
}

function jwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
}

describe('SessionManager device login', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startTestIdp({ tokenTtl: 60 });
  });
  after(() => idp.stop());

  it('logs in end to end; concurrent callers join the same login', async () => {
    const { session, store, key } = sessionFor(idp);
    const events: SessionEvent[] = [];
    session.onChange((change) => events.push(change.event));
    try {
      // Given two callers asking for a login at the same time
      const [first, second] = await Promise.all([session.login(), session.login()]);
      // Then they share one device code, and the prompt is in the status
      assert.equal(second.prompt.user_code, first.prompt.user_code);
      assert.deepEqual([first.joined, second.joined], [false, true]);
      assert.equal(idp.requests.filter((r) => r.path === '/device/auth').length, 1);
      const waiting = session.status();
      assert.equal(waiting.state, 'logging-in');
      assert.deepEqual(waiting.loginPrompt, first.prompt);
      assert.ok(Date.parse(first.prompt.expires_at) > Date.now());
      // When the user approves in the browser
      await idp.approve(first.prompt.verification_uri_complete!, 'alice');
      const outcome = await session.waitForLogin();
      // Then the session is logged in, the refresh token is in the store and the ID token in memory
      assert.ok(outcome.ok);
      const status = session.status();
      assert.equal(status.state, 'logged-in');
      assert.equal(status.subject, 'alice');
      assert.equal(status.username, 'alice');
      assert.equal(status.email, 'alice@example.test');
      assert.equal(status.loginPrompt, null);
      assert.ok(status.idTokenExpiresAt && status.nextRefreshAt && status.nextRefreshAt < status.idTokenExpiresAt);
      assert.ok(await store.get(key), 'refresh token stored');
      assert.equal(jwtPayload(await session.getIdToken()).sub, 'alice');
      assert.ok(!JSON.stringify(status).includes((await store.get(key))!), 'status holds no token');
      assert.deepEqual(events, ['login-started', 'logged-in']);
      // And asking for the outcome afterwards still answers it
      assert.ok((await session.waitForLogin()).ok);
    } finally {
      session.close();
    }
  });

  it('a denied login ends logged out with LOGIN_DENIED', async () => {
    const { session, store, key } = sessionFor(idp);
    const { prompt } = await session.login();
    await idp.deny(prompt.verification_uri_complete!);
    const outcome = await session.waitForLogin();
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'LOGIN_DENIED');
    const status = session.status();
    assert.equal(status.state, 'logged-out');
    assert.equal(status.lastError?.code, 'LOGIN_DENIED');
    assert.equal(await store.get(key), null);
    await assert.rejects(session.getIdToken(), { code: 'NOT_LOGGED_IN' });
  });

  it('the login is cancelled only when its last waiter leaves', async () => {
    const { session, store, key } = sessionFor(idp);
    const first = await session.login();
    await session.login();
    // Given one of two waiters leaves: the login goes on
    assert.equal(session.cancelLogin(), false);
    assert.equal(session.status().state, 'logging-in');
    // When the last one leaves: it is cancelled
    assert.equal(session.cancelLogin(), true);
    const outcome = await session.waitForLogin();
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'LOGIN_CANCELLED');
    assert.equal(session.status().state, 'logged-out');
    // Then approving the old code afterwards logs nobody in, and a new login gets a new code
    await idp.approve(first.prompt.verification_uri_complete!);
    assert.equal(await store.get(key), null);
    const again = await session.login();
    assert.notEqual(again.prompt.user_code, first.prompt.user_code);
    assert.equal(again.joined, false);
    session.close();
  });

  it('waitForLogin(signal) stops waiting without cancelling the login', async () => {
    const { session } = sessionFor(idp);
    const { prompt } = await session.login();
    const controller = new AbortController();
    const waiting = session.waitForLogin(controller.signal);
    controller.abort();
    const gaveUp = await waiting;
    assert.ok(!gaveUp.ok && gaveUp.error.code === 'LOGIN_CANCELLED');
    assert.equal(session.status().state, 'logging-in');
    await idp.approve(prompt.verification_uri_complete!);
    assert.ok((await session.waitForLogin()).ok);
    session.close();
  });
});

describe('SessionManager device login, edge cases', () => {
  it('an expired device code ends with LOGIN_EXPIRED', async () => {
    const idp = await startTestIdp({ deviceCodeTtl: 1 });
    try {
      const { session } = sessionFor(idp);
      await session.login();
      const outcome = await session.waitForLogin();
      assert.ok(!outcome.ok);
      assert.equal(outcome.error.code, 'LOGIN_EXPIRED');
      assert.equal(session.status().state, 'logged-out');
    } finally {
      await idp.stop();
    }
  });

  it('an unreachable IdP fails login() itself with IDP_UNREACHABLE', async () => {
    const idp = await startTestIdp();
    await idp.stop();
    const { session } = sessionFor(idp);
    await assert.rejects(session.login(), { code: 'IDP_UNREACHABLE' });
    assert.equal(session.status().state, 'logged-out');
    assert.equal(session.status().lastError?.code, 'IDP_UNREACHABLE');
  });
});
