import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createOidcClient } from '../../src/oidc/client.ts';
import { startTestIdp, TEST_SCOPES, type TestIdp } from '../helpers/test-idp.ts';
import { eidfError } from '../helpers/errors.ts';

/**
 * A refresh we abandon may still rotate the token at the IdP, so it gets three times the bound of
 * the other requests (client.ts). Against the test IdP, made slow by a fetch that holds every
 * request for `delayMs` (and gives up when the client's deadline fires, as a real socket would).
 */
let idp: TestIdp;
before(async () => {
  idp = await startTestIdp();
});
after(async () => {
  await idp?.stop();
});

it('a slow IdP: a refresh may take longer than the request bound; a device authorization may not', async () => {
  let delayMs = 0;
  const slowFetch = async (url: string | URL | Request, init?: RequestInit) => {
    if (delayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delayMs);
        init?.signal?.addEventListener('abort', () => (clearTimeout(timer), reject(init.signal!.reason as Error)), {
          once: true,
        });
      });
    }
    return fetch(url, init);
  };
  const client = createOidcClient(
    { issuer: idp.issuer, clientId: idp.clientId, scopes: TEST_SCOPES, allowInsecureLoopback: true },
    { fetch: slowFetch, requestTimeoutMs: 500 },
  );
  const authorization = await client.startDeviceAuthorization();
  const polling = client.pollDeviceAuthorization(authorization);
  await idp.approve(authorization.verification_uri_complete!, 'alice');
  const tokens = await polling;

  // 1 s: twice the request bound, within the refresh's (1.5 s).
  delayMs = 1_000;
  const before = idp.refreshRequests();
  const refreshed = await client.refreshTokens(tokens.refreshToken!);
  assert.equal(refreshed.claims.sub, tokens.claims.sub);
  assert.notEqual(refreshed.refreshToken, tokens.refreshToken, 'rotated');
  assert.equal(idp.refreshRequests(), before + 1);

  await assert.rejects(
    client.startDeviceAuthorization(),
    eidfError('IDP_UNREACHABLE', /did not answer in time \(device authorization\)$/),
  );

  // Past the refresh's bound too: a refresh is bounded all the same.
  delayMs = 2_500;
  await assert.rejects(
    client.refreshTokens(refreshed.refreshToken!),
    eidfError('IDP_UNREACHABLE', /did not answer in time \(refresh\)$/),
  );
});
