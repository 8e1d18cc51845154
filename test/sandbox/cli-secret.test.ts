import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { basic, bearer, call, deviceLogin, sleep } from './helpers.ts';

/** The daemon's probe: 200 = the CLI secret works, 401 = it is dead. */
async function probe(sandbox: Sandbox, user: string, secret = sandbox.cliSecretOf(user) as string): Promise<number> {
  return (await call(sandbox, 'GET', '/service/token?service=harbor-registry', { auth: basic(user, secret) })).status;
}

// IdP access tokens live 1 s and refresh tokens die after 2 s unused. Harbor refreshes its
// stored token 10 s before expiry, so here every probe refreshes (and rotates) it. Each test
// uses its own user: two probes of one user at once would race on the single-use refresh
// token (Harbor has no lock either), which is why the daemon probes one at a time.
describe("CLI secret life: Harbor's stored token, refreshed on use", { concurrency: true }, () => {
  let sandbox: Sandbox;
  before(async () => {
    // Idle limit 4 s: lifetimes count whole seconds, so a 4 s token lives 3–4 s, which leaves a
    // loaded machine room between two probes 1 s apart.
    sandbox = await startSandbox({
      registry: false,
      accessTokenTtl: 1,
      refreshIdleTtl: 4,
      refreshAbsoluteTtl: 60,
      onboarded: ['alice', 'bob', 'carol'],
    });
  });
  after(() => sandbox.stop());

  test('keeps working across several access-token lifetimes when checked regularly', async () => {
    const secret = sandbox.cliSecretOf('alice') as string;
    for (let i = 0; i < 9; i++) {
      // ≈ 9 s: nine access-token lifetimes, twice the idle limit
      assert.equal(await probe(sandbox, 'alice'), 200, `probe ${i}`);
      await sleep(1000);
    }
    assert.equal(sandbox.cliSecretOf('alice'), secret, 'the secret itself never changed');
  });

  test('dies when the IdP refresh token is revoked, works again after a web login', async () => {
    const secret = sandbox.cliSecretOf('bob') as string;
    assert.equal(await probe(sandbox, 'bob'), 200);
    await sandbox.revokeIdpSession('bob');
    assert.equal(await probe(sandbox, 'bob'), 401);
    assert.equal(await probe(sandbox, 'bob'), 401, 'stays dead');
    await sandbox.webLogin('bob');
    assert.equal(sandbox.cliSecretOf('bob'), secret, 'a web login keeps the secret');
    assert.equal(await probe(sandbox, 'bob'), 200);
  });

  test('dies when the refresh token idles out, works again after a web login', async () => {
    assert.equal(await probe(sandbox, 'carol'), 200);
    await sleep(5300);
    assert.equal(await probe(sandbox, 'carol'), 401);
    await sandbox.webLogin('carol');
    assert.equal(await probe(sandbox, 'carol'), 200);
  });
});

describe('CLI secret: stored access token still valid, and PUT /users/{id}/cli_secret', () => {
  let sandbox: Sandbox;
  let idToken: string;
  let userId: number;
  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05 }); // access tokens live 300 s
    idToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
    userId = (
      (await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(idToken) })).json as { user_id: number }
    ).user_id;
  });
  after(() => sandbox.stop());

  test('a wrong secret is refused and does not disturb the right one', async () => {
    assert.equal(await probe(sandbox, 'bob', 'Not-the-secret-1'), 401);
    assert.equal(await probe(sandbox, 'nobody', 'Not-the-secret-1'), 401);
    assert.equal(await probe(sandbox, 'bob'), 200);
  });

  test("while Harbor's stored access token is valid, the secret works even after revocation", async () => {
    await sandbox.revokeIdpSession('bob');
    assert.equal(await probe(sandbox, 'bob'), 200, 'no refresh needed; the stored ID token still verifies');
  });

  test('rejects secrets that break the 8-128 upper/lower/digit rule', async () => {
    const bad = ['Short1a', 'alllowercase1', 'ALLUPPERCASE1', 'NoDigitsHere', `Aa1${'x'.repeat(126)}`];
    for (const secret of bad) {
      const res = await call(sandbox, 'PUT', `/api/v2.0/users/${userId}/cli_secret`, {
        auth: bearer(idToken),
        body: { secret },
      });
      assert.equal(res.status, 400, secret);
      assert.deepEqual(res.json, {
        errors: [
          {
            code: 'BAD_REQUEST',
            message:
              'the password or secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number',
          },
        ],
      });
    }
  });

  test('a valid secret answers an empty 200; the old secret dies at once', async () => {
    const old = sandbox.cliSecretOf('alice') as string;
    const res = await call(sandbox, 'PUT', `/api/v2.0/users/${userId}/cli_secret`, {
      auth: bearer(idToken),
      body: { secret: 'My-New-Secret-42' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal(await probe(sandbox, 'alice', old), 401);
    assert.equal(await probe(sandbox, 'alice', 'My-New-Secret-42'), 200);
  });

  test('an empty secret makes Harbor generate a 9-character one', async () => {
    const res = await call(sandbox, 'PUT', `/api/v2.0/users/${userId}/cli_secret`, { auth: bearer(idToken), body: {} });
    assert.equal(res.status, 200);
    const me = await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(idToken) });
    const secret = (me.json as { oidc_user_meta: { secret: string } }).oidc_user_meta.secret;
    assert.match(secret, /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z0-9]{9}$/);
  });

  test('only the user themself may set it; the CLI secret cannot', async () => {
    const bobId = userId + 1;
    const other = await call(sandbox, 'PUT', `/api/v2.0/users/${bobId}/cli_secret`, {
      auth: bearer(idToken),
      body: { secret: 'My-New-Secret-43' },
    });
    assert.equal(other.status, 403);
    const bySecret = await call(sandbox, 'PUT', `/api/v2.0/users/${userId}/cli_secret`, {
      auth: basic('alice', sandbox.cliSecretOf('alice') as string),
      body: { secret: 'My-New-Secret-44' },
    });
    assert.equal(bySecret.status, 401);
  });
});
