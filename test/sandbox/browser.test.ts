import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import { SANDBOX_PASSWORD } from '../../scripts/sandbox/users.ts';
import { cliConfig } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

test(
  'device and login pages work in a real headless Chromium',
  {
    skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium)`,
    timeout: 60_000,
  },
  async () => {
    const sandbox = await startSandbox({ registry: false, devicePollInterval: 0.2 });
    const profile = await mkdtemp(join(tmpdir(), 'eidf-sandbox-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
    });
    try {
      const page = await context.newPage();

      // Device flow: the person types the code shown by the CLI, confirms, signs in.
      const config = await cliConfig(sandbox);
      const da = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access profile' });
      const polling = client.pollDeviceAuthorizationGrant(config, da);
      await page.goto(da.verification_uri);
      await page.fill('input[name="user_code"]', da.user_code);
      await page.click('button[type="submit"]');
      assert.equal(await page.textContent('#user-code'), da.user_code);
      await page.click('#confirm');
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', SANDBOX_PASSWORD);
      await page.click('button[type="submit"]');
      await page.waitForSelector('text=Sign-in Success');
      const tokens = await polling;
      assert.equal(tokens.claims()?.preferred_username, 'alice');

      // Harbor web login for carol (a fresh browser state): onboarding happens in the callback.
      await context.clearCookies();
      assert.equal(sandbox.cliSecretOf('carol'), undefined);
      await page.goto(`${sandbox.registryUrl}/c/oidc/login`);
      await page.fill('input[name="password"]', 'not-the-password');
      await page.fill('input[name="username"]', 'carol');
      await page.click('button[type="submit"]');
      assert.match((await page.textContent('.error')) ?? '', /Wrong username or password/);
      await page.fill('input[name="password"]', SANDBOX_PASSWORD);
      await page.click('button[type="submit"]');
      await page.waitForSelector('#signed-in');
      assert.match((await page.textContent('#signed-in')) ?? '', /carol/);
      assert.equal(new URL(page.url()).origin, sandbox.registryUrl);
      assert.match(sandbox.cliSecretOf('carol') ?? '', /^[A-Za-z0-9]{32}$/);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      await sandbox.stop();
    }
  },
);
