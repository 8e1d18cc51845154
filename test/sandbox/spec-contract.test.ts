import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { basic, bearer, call, deviceLogin } from './helpers.ts';
import { assertMatchesSpec } from './spec.ts';

/** Every JSON body of the endpoints the product uses, checked against Harbor's swagger. */
describe("responses validate against Harbor 2.11's swagger-v2.0.yaml", () => {
  let sandbox: Sandbox;
  let alice: string;
  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05 });
    alice = bearer((await deviceLogin(sandbox, 'alice')).id_token as string);
  });
  after(() => sandbox.stop());

  test('the validator itself rejects invented fields and wrong types', () => {
    assert.throws(() => assertMatchesSpec({ username: 'x', invented: 1 }, 'UserResp'));
    assert.throws(() => assertMatchesSpec({ user_id: 'three' }, 'UserResp'));
    assert.throws(() => assertMatchesSpec({ errors: [{ code: 401 }] }, 'Errors'));
  });

  test('GET /systeminfo → GeneralInfo (anonymous and signed in)', async () => {
    const anon = await call(sandbox, 'GET', '/api/v2.0/systeminfo');
    assertMatchesSpec(anon.json, 'GeneralInfo');
    assert.equal((anon.json as { auth_mode: string }).auth_mode, 'oidc_auth');
    assert.equal('external_url' in (anon.json as object), false);
    const full = await call(sandbox, 'GET', '/api/v2.0/systeminfo', { auth: alice });
    assertMatchesSpec(full.json, 'GeneralInfo');
    assert.equal((full.json as { external_url: string }).external_url, sandbox.registryUrl);
  });

  test('GET /users/current and /users/{id} → UserResp with oidc_user_meta', async () => {
    const me = await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: alice });
    assertMatchesSpec(me.json, 'UserResp');
    const id = (me.json as { user_id: number }).user_id;
    const byId = await call(sandbox, 'GET', `/api/v2.0/users/${id}`, { auth: alice });
    assertMatchesSpec(byId.json, 'UserResp');
    assertMatchesSpec((me.json as { oidc_user_meta: unknown }).oidc_user_meta, 'OIDCUserInfo');
  });

  test('GET /projects → [Project]; GET /projects/{name} → Project', async () => {
    for (const auth of [undefined, alice, basic('bob', sandbox.cliSecretOf('bob') as string)]) {
      const list = await call(sandbox, 'GET', '/api/v2.0/projects?page=1&page_size=10', { auth });
      assertMatchesSpec(list.json, 'Project', { array: true });
      assert.ok(list.headers.get('x-total-count'));
    }
    assertMatchesSpec((await call(sandbox, 'GET', '/api/v2.0/projects/demo', { auth: alice })).json, 'Project');
  });

  test('robots: RobotCreated, [Robot], Robot, RobotSec', async () => {
    const body = {
      name: 'contract',
      description: 'x',
      level: 'project',
      duration: -1,
      permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }] }],
    };
    const created = await call(sandbox, 'POST', '/api/v2.0/robots', { auth: alice, body });
    assertMatchesSpec(created.json, 'RobotCreated');
    const id = (created.json as { id: number }).id;
    assertMatchesSpec(
      (await call(sandbox, 'GET', '/api/v2.0/robots?q=Level%3Dproject%2CProjectID%3D2', { auth: alice })).json,
      'Robot',
      { array: true },
    );
    assertMatchesSpec((await call(sandbox, 'GET', `/api/v2.0/robots/${id}`, { auth: alice })).json, 'Robot');
    assertMatchesSpec(
      (await call(sandbox, 'PATCH', `/api/v2.0/robots/${id}`, { auth: alice, body: { secret: '' } })).json,
      'RobotSec',
    );
  });

  test('error bodies → Errors', async () => {
    const replies = [
      await call(sandbox, 'GET', '/api/v2.0/users/current'),
      await call(sandbox, 'GET', '/api/v2.0/robots/999', { auth: alice }),
      await call(sandbox, 'POST', '/api/v2.0/robots', { auth: alice, body: { name: 'BAD' } }),
      await call(sandbox, 'PUT', '/api/v2.0/users/1/cli_secret', { auth: alice, body: { secret: 'x' } }),
      await call(sandbox, 'GET', '/api/v2.0/no-such-thing', { auth: alice }),
    ];
    assert.deepEqual(
      replies.map((r) => r.status),
      [401, 404, 400, 403, 404],
    );
    for (const r of replies) assertMatchesSpec(r.json, 'Errors');
  });
});
