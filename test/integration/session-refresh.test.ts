import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EidfError } from '../../src/core/errors.ts';
import type { Logger, SecretStore } from '../../src/core/ports.ts';
import { refreshTokenKey } from '../../src/core/store-keys.ts';
import { createOidcClient } from '../../src/oidc/client.ts';
import type { OidcClient } from '../../src/oidc/types.ts';
import { SessionManager } from '../../src/session/session-manager.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';
import { startTestIdp, TEST_SCOPES } from '../helpers/test-idp.ts';
import type { TestIdp } from '../helpers/test-idp.ts';

const LONG_AFTER = 10 * 60_000; // far past the expiry of the IdP's 4-second tokens

/** A clock the test moves by hand. */
class FakeClock {
  #now = Date.now();
  now = () => this.#now;
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A MemoryStore whose writes can be made to fail (counted), or to wait until released. */
class FlakyStore extends MemoryStore implements SecretStore {
  broken = false;
  failedSets = 0;
  /** While set, writes wait for it (a keychain that is slow to answer). */
  gate: Promise<void> | null = null;
  waitingSets = 0;
  override async set(key: string, value: string): Promise<void> {
    if (this.gate) {
      this.waitingSets++;
      await this.gate;
      this.waitingSets--;
    }
    if (this.broken) {
      this.failedSets++;
      throw new EidfError('STORE_UNAVAILABLE', 'the keychain is not available');
    }
    return super.set(key, value);
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), 'condition met');
}

const logLines: string[] = [];
const logger: Logger = { info: (m) => logLines.push(m), warn: (m) => logLines.push(m), debug: (m) => logLines.push(m) };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Rig {
  idp: TestIdp;
  oidc: OidcClient;
  clock: FakeClock;
  timers: ManualTimers;
  store: FlakyStore;
  key: string;
  fetches: string[];
  newSession(): SessionManager;
}

/** A test IdP with 4-second tokens, and what a SessionManager needs, all on a fake clock. */
async function rig(options: { revocation?: boolean } = {}): Promise<Rig> {
  const idp = await startTestIdp({ tokenTtl: 4, ...options });
  cleanups.push(() => idp.stop());
  const clock = new FakeClock();
  const fetches: string[] = [];
  const oidc = createOidcClient(
    { issuer: idp.issuer, clientId: idp.clientId, scopes: TEST_SCOPES, allowInsecureLoopback: true },
    { clock, fetch: (url, init) => (fetches.push(String(url)), fetch(url, init)), requestTimeoutMs: 2000 },
  );
  const timers = new ManualTimers();
  const store = new FlakyStore();
  const r: Rig = {
    idp,
    oidc,
    clock,
    timers,
    store,
    fetches,
    key: refreshTokenKey(idp.issuer, idp.clientId),
    newSession() {
      const session = new SessionManager({ oidc, store, clock, timers, logger, random: () => 0 });
      cleanups.push(() => session.close());
      return session;
    },
  };
  return r;
}

function nextEvent(session: SessionManager, event: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = session.onChange((change) => {
      if (change.event === event) {
        stop();
        resolve();
      }
    });
  });
}

async function loggedIn(r: Rig): Promise<SessionManager> {
  const session = r.newSession();
  const { prompt } = await session.login();
  await r.idp.approve(prompt.verification_uri_complete!);
  const outcome = await session.waitForLogin();
  assert.ok(outcome.ok, 'logged in');
  return session;
}

describe('SessionManager refresh', () => {
  it('20 concurrent getIdToken() calls after expiry cause exactly one refresh at the IdP', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    const first = await session.getIdToken();
    assert.ok(first);
    assert.equal(r.idp.refreshRequests(), 0, 'a fresh token is returned without a refresh');
    const stored = await r.store.get(r.key);
    // Given the clock is far past the token's expiry (and the timer has not fired)
    r.clock.advance(LONG_AFTER);
    // When twenty callers ask at once
    const tokens = await Promise.all(Array.from({ length: 20 }, () => session.getIdToken()));
    // Then the IdP saw one refresh, the rotated token was stored once, and everyone got the same token
    assert.equal(r.idp.refreshRequests(), 1);
    assert.ok((await r.store.get(r.key)) !== stored, 'the rotated refresh token was stored');
    assert.equal(new Set(tokens).size, 1);
    assert.equal(session.status().state, 'logged-in');
  });

  it('the timer refreshes ahead of expiry, at the time the policy gives', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    // 4 s token: refreshed at half-life (random is 0, so no jitter)
    assert.equal(r.timers.delay, 2000);
    r.clock.advance(2000);
    r.timers.fire();
    assert.equal(session.status().state, 'refreshing');
    await nextEvent(session, 'refreshed');
    assert.equal(r.idp.refreshRequests(), 1);
    assert.equal(session.status().state, 'logged-in');
    assert.equal(r.timers.delay, 2000, 'the next refresh is scheduled');
  });

  it('a refresh due while the last one still saves (a slow keychain) runs once that save ends', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    // Given the store is slow: the rotated token's save waits
    let release = () => {};
    r.store.gate = new Promise<void>((resolve) => (release = resolve));
    r.clock.advance(2000);
    r.timers.fire();
    await until(() => r.store.waitingSets === 1);
    assert.equal(r.idp.refreshRequests(), 1);
    // When the next refresh comes due before that save has ended (the refresh armed it before saving)
    r.clock.advance(2000);
    r.timers.fire();
    assert.equal(r.idp.refreshRequests(), 1, 'not while the first one still saves');
    // Then, once the save ends, the due refresh runs, and the one after it is scheduled
    r.store.gate = null;
    release();
    await until(() => r.idp.refreshRequests() === 2);
    await until(() => session.status().state === 'logged-in' && r.timers.pending.size === 1);
    assert.equal(r.timers.delay, 2000);
    assert.deepEqual(
      r.idp.requests.filter((q) => q.grantType === 'refresh_token').map((q) => q.status),
      [200, 200],
    );
  });

  it('a rotated refresh token whose save fails is kept in memory, used, retried with back-off, and saved later', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    const consumed = (await r.store.get(r.key))!;
    const before = session.status();
    // Given the store refuses writes (disk full, keychain locked …)
    r.store.broken = true;
    r.clock.advance(LONG_AFTER);
    // When a refresh rotates the token
    const token = await session.getIdToken();
    assert.equal(r.idp.refreshRequests(), 1, 'the IdP did rotate');
    // Then the new tokens are in use at once, and the session says its refresh token is unsaved
    assert.ok(token);
    let status = session.status();
    assert.equal(status.state, 'logged-in');
    assert.notEqual(status.idTokenExpiresAt, before.idTokenExpiresAt);
    assert.equal(status.refreshTokenUnsaved?.reason, 'the keychain is not available');
    assert.equal(await r.store.get(r.key), consumed, 'the store still holds the consumed token');
    // The save is retried on its own timer, with doubling back-off
    // The save retry is armed after the refresh timer each time, so it is the newest pending timer.
    const saveTimer = () => Math.max(...r.timers.pending.keys());
    assert.equal(r.store.failedSets, 1);
    assert.equal(Date.parse(status.refreshTokenUnsaved.nextSaveAt!) - r.clock.now(), 2000);
    r.clock.advance(2000);
    r.timers.fireOne(saveTimer());
    await until(() => r.store.failedSets === 2);
    status = session.status();
    assert.equal(Date.parse(status.refreshTokenUnsaved!.nextSaveAt!) - r.clock.now(), 4000, 'second retry after 4 s');
    // And the next refresh uses the token in memory, never the consumed one: the IdP accepts it
    r.clock.advance(LONG_AFTER);
    await session.getIdToken();
    assert.equal(r.idp.refreshRequests(), 2);
    assert.deepEqual(
      r.idp.requests.filter((q) => q.grantType === 'refresh_token').map((q) => q.status),
      [200, 200],
      'no invalid_grant at the IdP',
    );
    assert.ok(session.status().refreshTokenUnsaved, 'still unsaved');
    // When the store works again, the next retry saves the newest token and clears the warning
    r.store.broken = false;
    r.clock.advance(60_000);
    r.timers.fireOne(saveTimer());
    await until(() => session.status().refreshTokenUnsaved === null);
    const saved = (await r.store.get(r.key))!;
    assert.notEqual(saved, consumed);
    // … and it is the valid one: a new agent restores from it
    session.close();
    const next = r.newSession();
    assert.equal((await next.restore()).state, 'logged-in');
    assert.deepEqual(
      r.idp.requests.filter((q) => q.grantType === 'refresh_token').map((q) => q.status),
      [200, 200, 200],
      'the IdP refused no refresh',
    );
  });

  it('flushUnsaved() at shutdown tries once more and says whether it worked', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    assert.equal(await session.flushUnsaved(), null, 'nothing to save');
    r.store.broken = true;
    r.clock.advance(LONG_AFTER);
    await session.getIdToken();
    const failedBefore = r.store.failedSets;
    assert.deepEqual(await session.flushUnsaved(), { saved: false, reason: 'the keychain is not available' });
    assert.equal(r.store.failedSets, failedBefore + 1, 'one more attempt');
    r.store.broken = false;
    assert.deepEqual(await session.flushUnsaved(), { saved: true });
    assert.equal(session.status().refreshTokenUnsaved, null);
  });

  it('a login whose save fails keeps the session in memory and says so', async () => {
    const r = await rig();
    r.store.broken = true;
    const session = await loggedIn(r);
    assert.equal(session.status().state, 'logged-in');
    assert.match(session.status().refreshTokenUnsaved!.reason, /not available/);
    assert.equal(await r.store.get(r.key), null);
    // Logout revokes the token held in memory (the newest)
    r.store.broken = false;
    const report = await session.logout();
    assert.equal(report.revoked, 'revoked');
    assert.equal(session.status().refreshTokenUnsaved, null);
  });

  it('IdP down: error state, tokens kept, capped back-off; IdP back: recovers', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    const before = session.status();
    // Given the IdP goes away and the token has expired
    await r.idp.stop();
    r.clock.advance(LONG_AFTER);
    await assert.rejects(session.getIdToken(), { code: 'IDP_UNREACHABLE' });
    let status = session.status();
    assert.equal(status.state, 'error');
    assert.equal(status.lastError?.code, 'IDP_UNREACHABLE');
    assert.equal(status.subject, 'alice', 'identity kept');
    assert.equal(status.idTokenExpiresAt, before.idTokenExpiresAt, 'tokens kept');
    assert.equal(Date.parse(status.nextRefreshAt!) - r.clock.now(), 2000, 'first retry after 2 s');
    // While backing off, callers get the error without another request
    const fetchesBefore = r.fetches.length;
    await assert.rejects(session.getIdToken(), { code: 'IDP_UNREACHABLE' });
    assert.equal(r.fetches.length, fetchesBefore);
    // The timer retries, doubling the delay
    r.clock.advance(r.timers.delay);
    r.timers.fire();
    await assert.rejects(session.getIdToken(), { code: 'IDP_UNREACHABLE' });
    assert.equal(r.timers.delay, 4000);
    // When the IdP is back and the next retry runs
    await r.idp.start();
    r.clock.advance(r.timers.delay);
    r.timers.fire();
    const token = await session.getIdToken();
    // Then the session has recovered
    assert.ok(token);
    status = session.status();
    assert.equal(status.state, 'logged-in');
    assert.equal(status.lastError, null);
    assert.equal(r.timers.delay, 2000, 'back to the normal schedule');
  });

  it('restore() picks the session up from the stored refresh token in a new manager', async () => {
    const r = await rig();
    const first = await loggedIn(r);
    const stored = await r.store.get(r.key);
    first.close(); // the agent stops; memory is gone, the store stays
    // When a new agent starts
    const second = r.newSession();
    const status = await second.restore();
    // Then it refreshed once and is logged in as the same user, with the rotated token saved
    assert.equal(status.state, 'logged-in');
    assert.equal(status.subject, 'alice');
    assert.equal(r.idp.refreshRequests(), 1);
    assert.notEqual(await r.store.get(r.key), stored);
    assert.equal((await second.restore()).state, 'logged-in', 'a second restore is a no-op');
    assert.equal(r.idp.refreshRequests(), 1);
  });

  it('restore() while the keychain is locked or the IdP is down: error state, then recovers by itself', async () => {
    const r = await rig();
    (await loggedIn(r)).close();
    // Given the keychain refuses the first read and the IdP is down
    const get = r.store.get.bind(r.store);
    let lockedReads = 1;
    r.store.get = async (key) =>
      lockedReads-- > 0 ? Promise.reject(new EidfError('STORE_LOCKED', 'the keychain is locked')) : get(key);
    await r.idp.stop();
    const session = r.newSession();
    // When the agent restores: the store error is reported, with a retry scheduled
    let status = await session.restore();
    assert.equal(status.state, 'error');
    assert.equal(status.lastError?.code, 'STORE_LOCKED');
    // Then the retry reaches the IdP, which is down
    r.clock.advance(r.timers.delay);
    r.timers.fire();
    await nextEvent(session, 'refresh-failed');
    assert.equal(session.status().lastError?.code, 'IDP_UNREACHABLE');
    // And once the IdP is back, the next retry restores the session
    await r.idp.start();
    r.clock.advance(r.timers.delay);
    r.timers.fire();
    await nextEvent(session, 'refreshed');
    status = session.status();
    assert.equal(status.state, 'logged-in');
    assert.equal(status.subject, 'alice');
  });

  it('restore() with nothing stored stays logged out without asking the IdP', async () => {
    const r = await rig();
    const status = await r.newSession().restore();
    assert.equal(status.state, 'logged-out');
    assert.equal(status.lastError, null);
    assert.equal(r.fetches.length, 0);
  });

  it('a revoked refresh token ends the session and is deleted from the store', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    const events: string[] = [];
    session.onChange((c) => events.push(c.event));
    // Given the refresh token is revoked behind the agent's back
    assert.equal(await r.oidc.revokeRefreshToken((await r.store.get(r.key))!), 'revoked');
    r.clock.advance(LONG_AFTER);
    // Then the next refresh logs the session out
    await assert.rejects(session.getIdToken(), { code: 'NOT_LOGGED_IN' });
    const status = session.status();
    assert.equal(status.state, 'logged-out');
    assert.equal(status.subject, null);
    assert.equal(status.lastError?.code, 'NOT_LOGGED_IN');
    assert.equal(await r.store.get(r.key), null);
    assert.deepEqual(events, ['refresh-started', 'logged-out']);
    assert.equal(r.timers.pending.size, 0, 'no more refreshes scheduled');
  });
});

describe('SessionManager logout', () => {
  it('revokes the refresh token, wipes memory and store, and says what it did', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    const refreshToken = (await r.store.get(r.key))!;
    const report = await session.logout();
    assert.deepEqual(report, {
      wasLoggedIn: true,
      loginCancelled: false,
      revoked: 'revoked',
      revokeError: null,
      storeDeleted: true,
      storeError: null,
    });
    assert.equal(session.status().state, 'logged-out');
    assert.equal(await r.store.get(r.key), null);
    await assert.rejects(session.getIdToken(), { code: 'NOT_LOGGED_IN' });
    // The IdP now refuses the refresh token
    await assert.rejects(r.oidc.refreshTokens(refreshToken), { code: 'NOT_LOGGED_IN' });
  });

  it('still wipes locally when the IdP cannot be reached to revoke', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    await r.idp.stop();
    const report = await session.logout();
    assert.equal(report.revoked, 'failed');
    assert.match(report.revokeError!, /could not reach/);
    assert.equal(report.storeDeleted, true);
    assert.equal(session.status().state, 'logged-out');
    assert.equal(await r.store.get(r.key), null);
  });

  it("reports 'unsupported' where the IdP has no revocation, and cancels a login in progress", async () => {
    const r = await rig({ revocation: false });
    const session = await loggedIn(r);
    await session.login();
    const report = await session.logout();
    assert.equal(report.revoked, 'unsupported');
    assert.equal(report.loginCancelled, true);
    assert.equal(session.status().state, 'logged-out');
    assert.equal(session.status().loginPrompt, null);
  });

  it('no log line holds a token', async () => {
    const r = await rig();
    const session = await loggedIn(r);
    const secrets = [(await r.store.get(r.key))!, await session.getIdToken()];
    r.clock.advance(LONG_AFTER);
    await session.getIdToken();
    secrets.push((await r.store.get(r.key))!);
    await session.logout();
    assert.ok(logLines.length > 0);
    for (const line of logLines)
      for (const secret of secrets) assert.ok(!line.includes(secret), `a token leaked into: ${line}`);
  });
});
