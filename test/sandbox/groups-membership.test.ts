import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseFlags } from '../../scripts/sandbox/flags.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { basic, bearer, call, decodeJwtPart, deviceLogin } from './helpers.ts';

/**
 * Issue 10: `--groups-only-membership`. Project members are IdP groups (demo-admins, demo-developers),
 * none by username, and only Harbor's own client gets a `groups` claim. Harbor takes a request's
 * groups from the token it was authenticated with: the CLI secret (Harbor's stored token) sees
 * `demo`, the CLI's own bearer ID token does not (harbor-2.11.md, "Corrections and additions").
 */
describe('project membership only through the groups claim', () => {
  let sandbox: Sandbox;
  let idToken: string;
  const names = (body: unknown) => (body as Array<{ name: string }>).map((p) => p.name).sort();
  before(async () => {
    sandbox = await startSandbox({
      registry: false,
      devicePollInterval: 0.05,
      ...parseFlags(['--groups-only-membership']),
    });
    idToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
  });
  after(() => sandbox.stop());

  test("the CLI secret: Harbor's stored ID token carries the groups, so demo is listed with alice's admin role", async () => {
    const reply = await call(sandbox, 'GET', '/api/v2.0/projects?page_size=100', {
      auth: basic('alice', sandbox.cliSecretOf('alice') as string),
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(names(reply.json), ['demo', 'library']);
    const demo = (reply.json as Array<{ name: string; current_user_role_ids?: number[] }>).find(
      (p) => p.name === 'demo',
    );
    assert.deepEqual(demo?.current_user_role_ids, [1]);
  });

  test("the CLI's bearer ID token has no groups claim: demo is not visible through the API", async () => {
    assert.equal(decodeJwtPart(idToken, 1).groups, undefined);
    const reply = await call(sandbox, 'GET', '/api/v2.0/projects?page_size=100', { auth: bearer(idToken) });
    assert.equal(reply.status, 200);
    assert.deepEqual(names(reply.json), ['library']);
  });

  test('registry tokens follow the same groups: push to demo with the secret, nothing with the bearer', async () => {
    const scope = 'repository:demo/app:pull,push';
    const withSecret = await call(sandbox, 'GET', `/service/token?service=harbor-registry&scope=${scope}`, {
      auth: basic('bob', sandbox.cliSecretOf('bob') as string),
    });
    assert.deepEqual(
      (
        decodeJwtPart((withSecret.json as { token: string }).token, 1).access as Array<{ actions: string[] }>
      )[0]?.actions.sort(),
      ['pull', 'push'],
    );
    const withBearer = await call(sandbox, 'GET', `/service/token?service=harbor-registry&scope=${scope}`, {
      auth: bearer(idToken),
    });
    assert.deepEqual(
      (decodeJwtPart((withBearer.json as { token: string }).token, 1).access as Array<{ actions: string[] }>)[0]
        ?.actions ?? [],
      [],
    );
  });
});
