import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { cliConfig, decodeJwtPart, deviceLogin, sleep } from './helpers.ts';

describe('IdP: device flow, tokens, lifetimes, auto-approve', { concurrency: true }, () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({
      registry: false,
      devicePollInterval: 0.1,
      refreshIdleTtl: 4,
      refreshAbsoluteTtl: 30,
    });
  });
  after(() => sandbox.stop());

  test('discovery advertises the device endpoint, revocation and JWKS', async () => {
    const config = await cliConfig(sandbox);
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, sandbox.issuer);
    assert.ok(meta.device_authorization_endpoint);
    assert.ok(meta.revocation_endpoint);
    assert.ok(meta.jwks_uri);
  });

  test('the device response carries the configured interval', async () => {
    const config = await cliConfig(sandbox);
    const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    assert.equal(da.interval, 0.1);
    assert.match(String(da.verification_uri_complete), /\/device\?user_code=/);
  });

  test('device login: ID token for the CLI also names Harbor in aud', async () => {
    const tokens = await deviceLogin(sandbox, 'alice');
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.sub, 'safe-7f3a-alice');
    assert.equal(claims.preferred_username, 'alice');
    assert.deepEqual(claims.aud, ['eidf-cli', 'harbor']);
    assert.equal(claims.azp, 'eidf-cli');
    assert.ok(decodeJwtPart(tokens.id_token as string, 0).kid, 'signed with the JWKS key');
  });

  test('refresh tokens rotate; the old one is refused afterwards', async () => {
    const config = await cliConfig(sandbox);
    const first = await deviceLogin(sandbox, 'bob', config);
    const second = await client.refreshTokenGrant(config, first.refresh_token as string);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.deepEqual(second.claims()?.aud, ['eidf-cli', 'harbor'], 'refreshed ID tokens keep the Harbor audience');
    await assert.rejects(
      client.refreshTokenGrant(config, first.refresh_token as string),
      (e: { error?: string }) => e.error === 'invalid_grant',
    );
  });

  test('revocation at the endpoint kills the refresh token', async () => {
    const config = await cliConfig(sandbox);
    const tokens = await deviceLogin(sandbox, 'alice', config);
    await client.tokenRevocation(config, tokens.refresh_token as string);
    await assert.rejects(
      client.refreshTokenGrant(config, tokens.refresh_token as string),
      (e: { error?: string }) => e.error === 'invalid_grant',
    );
  });

  test('a refresh token unused for longer than the idle lifetime is dead; used ones slide', async () => {
    const config = await cliConfig(sandbox);
    let tokens = await deviceLogin(sandbox, 'alice', config);
    // Token times are whole seconds, so a 4 s lifetime is really 3–4 s: 1 s steps leave a loaded
    // machine plenty of room.
    for (let i = 0; i < 5; i++) {
      // 5 × 1 s > 4 s idle; each use renews
      await sleep(1000);
      tokens = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    }
    await sleep(4300); // lives at most 4 s after its last use
    await assert.rejects(
      client.refreshTokenGrant(config, tokens.refresh_token as string),
      (e: { error?: string }) => e.error === 'invalid_grant',
    );
  });

  test('wrong password on the login page is refused', async () => {
    const config = await cliConfig(sandbox);
    const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const { HeadlessBrowser } = await import('../../scripts/sandbox/browser-agent.ts');
    const browser = new HeadlessBrowser();
    await assert.rejects(
      browser.walk(da.verification_uri_complete as string, { username: 'alice', password: 'wrong' }, (p) =>
        /Sign-in Success/.test(p.html),
      ),
      /HTTP 401/,
    );
  });

  test('refresh fails after the absolute lifetime even when used regularly', async () => {
    // 6 s, counted in whole seconds from the grant: the refresh at ~1.5 s has room on a loaded
    // machine, and the one after another 5 s is past the limit whatever the rounding.
    const sandbox = await startSandbox({
      registry: false,
      devicePollInterval: 0.1,
      refreshIdleTtl: 10,
      refreshAbsoluteTtl: 6,
      onboarded: [],
    });
    try {
      const config = await cliConfig(sandbox);
      let tokens = await deviceLogin(sandbox, 'carol', config);
      await sleep(1500);
      tokens = await client.refreshTokenGrant(config, tokens.refresh_token as string);
      await sleep(5000);
      await assert.rejects(
        client.refreshTokenGrant(config, tokens.refresh_token as string),
        (e: { error?: string }) => e.error === 'invalid_grant',
      );
    } finally {
      await sandbox.stop();
    }
  });

  test('autoApprove approves device codes without anyone visiting the page', async () => {
    const sandbox = await startSandbox({ registry: false, devicePollInterval: 0.1, autoApprove: 'bob', onboarded: [] });
    try {
      const config = await cliConfig(sandbox);
      const da = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access profile' });
      const tokens = await client.pollDeviceAuthorizationGrant(config, da);
      assert.equal(tokens.claims()?.preferred_username, 'bob');
    } finally {
      await sandbox.stop();
    }
  });

  test('harborAudience: false gives CLI ID tokens only their own audience', async () => {
    const sandbox = await startSandbox({
      registry: false,
      devicePollInterval: 0.1,
      harborAudience: false,
      onboarded: [],
    });
    try {
      const tokens = await deviceLogin(sandbox, 'alice');
      assert.equal(tokens.claims()?.aud, 'eidf-cli');
    } finally {
      await sandbox.stop();
    }
  });
});
