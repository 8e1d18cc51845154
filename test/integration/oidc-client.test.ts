import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOidcClient, discover, oidcSettingsFromConfig } from '../../src/oidc/client.ts';
import type { OidcSettings } from '../../src/oidc/types.ts';
import { jwtExpiry } from '../../src/oidc/jwt-expiry.ts';
import { startTestIdp, TEST_SCOPES } from '../helpers/test-idp.ts';
import type { TestIdp } from '../helpers/test-idp.ts';
import { eidfError } from '../helpers/errors.ts';

const settingsFor = (idp: TestIdp): OidcSettings => ({
  issuer: idp.issuer,
  clientId: idp.clientId,
  scopes: TEST_SCOPES,
  allowInsecureLoopback: true,
});

describe('oidc client against a real oidc-provider', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startTestIdp({ tokenTtl: 60 });
  });
  after(() => idp.stop());

  it('runs a device login end to end, then refreshes with rotation', async () => {
    // Given a client whose requests go through an injected fetch
    const seen: string[] = [];
    const client = await discover(settingsFor(idp), {
      fetch: (url, init) => (seen.push(String(url)), fetch(url, init)),
    });
    // When the user approves the device login
    const authorization = await client.startDeviceAuthorization();
    assert.match(authorization.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(authorization.verification_uri, `${idp.issuer}/device`);
    const polling = client.pollDeviceAuthorization(authorization);
    await idp.approve(authorization.verification_uri_complete!, 'alice');
    const tokens = await polling;
    // Then tokens arrive, with the claims and local expiry worked out
    assert.equal(tokens.claims.sub, 'alice');
    assert.equal(tokens.claims.email, 'alice@example.test');
    assert.equal(tokens.idTokenExpiresAt - tokens.receivedAt, 60_000);
    assert.ok(tokens.refreshToken);
    assert.ok(
      seen.some((url) => url.endsWith('/.well-known/openid-configuration')),
      'discovery went through the injected fetch',
    );
    assert.ok(
      seen.some((url) => url.endsWith('/token')),
      'polling went through the injected fetch',
    );
    // And a refresh rotates the refresh token; the old one is then refused
    const refreshed = await client.refreshTokens(tokens.refreshToken);
    assert.ok(refreshed.refreshToken && refreshed.refreshToken !== tokens.refreshToken);
    await assert.rejects(client.refreshTokens(tokens.refreshToken), (err: unknown) => {
      eidfError('NOT_LOGGED_IN', /session has ended/)(err);
      assert.ok(!(err as Error).message.includes(tokens.refreshToken!), 'the token is not in the message');
      return true;
    });
  });

  it('a refresh answer read late (the agent paused meanwhile) does not stretch the ID token past its exp', async () => {
    let late = 0;
    const client = createOidcClient(settingsFor(idp), {
      // The answer arrives, then waits 1.5 s before the client reads it, as when the process is stopped.
      fetch: async (url, init) => {
        const answer = await fetch(url, init);
        if (String(url).endsWith('/token') && late > 0) await new Promise((r) => setTimeout(r, late));
        return answer;
      },
    });
    const authorization = await client.startDeviceAuthorization();
    const polling = client.pollDeviceAuthorization(authorization);
    await idp.approve(authorization.verification_uri_complete!, 'alice');
    const tokens = await polling;
    late = 1500;
    const refreshed = await client.refreshTokens(tokens.refreshToken!);
    const exp = jwtExpiry(refreshed.idToken)!;
    // `exp` has whole seconds: the local expiry may be up to 1 s past it, not the 1.5 s the answer waited.
    assert.ok(refreshed.idTokenExpiresAt <= exp + 1000, `local expiry ${refreshed.idTokenExpiresAt - exp} ms past exp`);
    assert.equal(refreshed.idTokenExpiresAt - refreshed.receivedAt, 60_000);
  });

  it('maps a denied login to LOGIN_DENIED', async () => {
    const client = createOidcClient(settingsFor(idp));
    const authorization = await client.startDeviceAuthorization();
    const polling = client.pollDeviceAuthorization(authorization);
    await idp.deny(authorization.verification_uri_complete!);
    await assert.rejects(polling, eidfError('LOGIN_DENIED', /denied/));
  });

  it('stops with LOGIN_CANCELLED when the signal aborts', async () => {
    const client = createOidcClient(settingsFor(idp));
    const authorization = await client.startDeviceAuthorization();
    const controller = new AbortController();
    const polling = client.pollDeviceAuthorization(authorization, controller.signal);
    controller.abort();
    await assert.rejects(polling, eidfError('LOGIN_CANCELLED', /cancelled/));
  });

  it('revokes a refresh token, which the IdP then refuses', async () => {
    const client = createOidcClient(settingsFor(idp));
    const authorization = await client.startDeviceAuthorization();
    const polling = client.pollDeviceAuthorization(authorization);
    await idp.approve(authorization.verification_uri_complete!);
    const { refreshToken } = await polling;
    assert.equal(await client.revokeRefreshToken(refreshToken!), 'revoked');
    await assert.rejects(client.refreshTokens(refreshToken!), eidfError('NOT_LOGGED_IN', /invalid_grant/));
  });
});

describe('oidc client edge cases', () => {
  it('stops with LOGIN_EXPIRED when the device code expires', async () => {
    const idp = await startTestIdp({ deviceCodeTtl: 1 });
    try {
      const client = createOidcClient(settingsFor(idp));
      const authorization = await client.startDeviceAuthorization();
      assert.equal(authorization.expires_in, 1);
      await assert.rejects(client.pollDeviceAuthorization(authorization), eidfError('LOGIN_EXPIRED', /expired/));
    } finally {
      await idp.stop();
    }
  });

  it("answers 'unsupported' when the IdP offers no revocation", async () => {
    const idp = await startTestIdp({ revocation: false });
    try {
      assert.equal(await createOidcClient(settingsFor(idp)).revokeRefreshToken('whatever-token'), 'unsupported');
    } finally {
      await idp.stop();
    }
  });

  it('refuses http:// issuers unless loopback and allowed', () => {
    const base = { clientId: 'c', scopes: 'openid offline_access' };
    assert.throws(
      () => createOidcClient({ ...base, issuer: 'http://idp.example', allowInsecureLoopback: true }),
      eidfError('CONFIG_INVALID', /https/),
    );
    assert.throws(
      () => createOidcClient({ ...base, issuer: 'http://127.0.0.1:9', allowInsecureLoopback: false }),
      eidfError('CONFIG_INVALID', /EIDF_ALLOW_INSECURE_LOOPBACK/),
    );
    assert.throws(
      () => createOidcClient({ ...base, issuer: 'not a url', allowInsecureLoopback: true }),
      eidfError('CONFIG_INVALID', /must be a URL/),
    );
    assert.doesNotThrow(() =>
      createOidcClient({ ...base, issuer: 'https://idp.example', allowInsecureLoopback: false }),
    );
    assert.doesNotThrow(() => createOidcClient({ ...base, issuer: 'http://localhost:9', allowInsecureLoopback: true }));
  });

  it('reads its settings from Config', () => {
    const config = {
      oidcIssuer: 'https://idp.example',
      oidcClientId: 'cli',
      oidcScopes: 'openid offline_access',
      allowInsecureLoopback: false,
    };
    assert.deepEqual(oidcSettingsFromConfig(config), {
      issuer: 'https://idp.example',
      clientId: 'cli',
      scopes: 'openid offline_access',
      allowInsecureLoopback: false,
    });
    assert.throws(
      () => oidcSettingsFromConfig({ ...config, oidcIssuer: undefined }),
      eidfError('CONFIG_INVALID', /EIDF_OIDC_ISSUER/),
    );
  });
});

describe('oidc client against a broken IdP', () => {
  let server: http.Server;
  let issuer: string;
  let answer: (res: http.ServerResponse) => void = (res) => res.end();
  before(async () => {
    server = http.createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const cases: Array<[string, (res: http.ServerResponse) => void, string, RegExp]> = [
    [
      'HTML',
      (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>'),
      'IDP_ERROR',
      /text\/html instead of JSON/,
    ],
    [
      'invalid JSON',
      (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"issuer": '),
      'IDP_ERROR',
      /invalid JSON/,
    ],
    [
      'another issuer',
      (res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ issuer: 'https://elsewhere.example' })),
      'IDP_ERROR',
      /another issuer \(https:\/\/elsewhere\.example\)/,
    ],
    [
      'a 404 page',
      (res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>not found</h1>'),
      'IDP_ERROR',
      /HTTP 404/,
    ],
    [
      '503 from a proxy',
      (res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>down</h1>'),
      'IDP_UNREACHABLE',
      /unavailable \(HTTP 503\)/,
    ],
    ['nothing in time', () => undefined, 'IDP_UNREACHABLE', /did not answer in time/],
  ];
  for (const [name, respond, code, pattern] of cases) {
    it(`discovery answered with ${name} → ${code}`, async () => {
      answer = respond;
      const settings = { issuer, clientId: 'c', scopes: TEST_SCOPES, allowInsecureLoopback: true };
      await assert.rejects(discover(settings, { requestTimeoutMs: 300 }), eidfError(code, pattern));
    });
  }

  it('a closed port is IDP_UNREACHABLE, and discovery is retried on the next call', async () => {
    const idp = await startTestIdp();
    await idp.stop();
    const client = createOidcClient(settingsFor(idp));
    await assert.rejects(
      client.startDeviceAuthorization(),
      eidfError('IDP_UNREACHABLE', /could not reach .*ECONNREFUSED/),
    );
    await idp.start();
    try {
      const authorization = await client.startDeviceAuthorization();
      assert.ok(authorization.device_code);
    } finally {
      await idp.stop();
    }
  });
});
