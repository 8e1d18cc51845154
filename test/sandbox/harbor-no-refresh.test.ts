import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startSandbox, type SandboxOptions } from '../../scripts/sandbox/sandbox.ts';
import { parseFlags } from '../../scripts/sandbox/flags.ts';
import { basic, call, sleep } from './helpers.ts';

/**
 * Issue 10: the sandbox plays a Harbor that holds no refresh token for the IdP (the EIDF
 * registry's FAQ: the secret dies hours after the last web login, whatever the client does).
 * Access tokens live 13 s; Harbor treats its stored token as expired 10 s early, so a secret
 * works for about 3 s after a web login and then needs a refresh.
 */
describe('Harbor without a refresh token for the IdP', { concurrency: true }, () => {
  const lifeOfASecret = async (options: SandboxOptions): Promise<[number, number, number]> => {
    const sandbox = await startSandbox({ registry: false, accessTokenTtl: 13, onboarded: ['alice'], ...options });
    try {
      const probe = async () =>
        (
          await call(sandbox, 'GET', '/service/token?service=harbor-registry', {
            auth: basic('alice', sandbox.cliSecretOf('alice') as string),
          })
        ).status;
      const fresh = await probe();
      await sleep(4500);
      const later = await probe();
      await sandbox.webLogin('alice');
      return [fresh, later, await probe()];
    } finally {
      await sandbox.stop();
    }
  };

  test('default (offline_access and prompt=consent): Harbor refreshes its stored token, the secret lives on', async () => {
    assert.deepEqual(await lifeOfASecret({}), [200, 200, 200]);
  });

  test("--harbor-no-refresh-token: the secret dies at the access token's expiry; a web login revives it", async () => {
    assert.deepEqual(await lifeOfASecret(parseFlags(['--harbor-no-refresh-token'])), [200, 401, 200]);
  });

  test("--no-consent-prompt (real Harbor's default): the IdP drops offline_access, so the same", async () => {
    assert.deepEqual(await lifeOfASecret(parseFlags(['--no-consent-prompt'])), [200, 401, 200]);
  });

  test('--no-device-login: the printed environment names no OIDC issuer or client', async () => {
    assert.deepEqual(parseFlags(['--no-device-login']), { cliOidc: false });
    const sandbox = await startSandbox({ registry: false, onboarded: [], cliOidc: false });
    try {
      assert.deepEqual(Object.keys(sandbox.env).sort(), ['EIDF_ALLOW_INSECURE_LOOPBACK', 'EIDF_REGISTRY']);
    } finally {
      await sandbox.stop();
    }
  });
});
