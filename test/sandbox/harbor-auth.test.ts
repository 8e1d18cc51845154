import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { basic, bearer, call, deviceLogin, sleep } from './helpers.ts';

const names = (json: unknown) => (json as Array<{ name: string }>).map((p) => p.name).sort();

describe("Harbor: who is authenticated, in Harbor's order", { concurrency: true }, () => {
  let sandbox: Sandbox;
  let aliceSecret: string;
  let aliceIdToken: string;
  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05 });
    aliceSecret = sandbox.cliSecretOf('alice') as string;
    aliceIdToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
  });
  after(() => sandbox.stop());

  test('Basic user:CLI-secret works on the allow-list (GET /projects shows member projects)', async () => {
    const anonymous = await call(sandbox, 'GET', '/api/v2.0/projects');
    assert.deepEqual(names(anonymous.json), ['library']);
    const alice = await call(sandbox, 'GET', '/api/v2.0/projects', { auth: basic('alice', aliceSecret) });
    assert.deepEqual(names(alice.json), ['demo', 'library']);
    const demo = (alice.json as Array<Record<string, unknown>>).find((p) => p.name === 'demo');
    assert.deepEqual(demo?.current_user_role_ids, [1]);
  });

  test('Basic user:CLI-secret anywhere else is anonymous', async () => {
    for (const [method, path] of [
      ['GET', '/api/v2.0/users/current'],
      ['GET', '/api/v2.0/robots?q=Level=project,ProjectID=2'],
    ]) {
      const res = await call(sandbox, method, path, { auth: basic('alice', aliceSecret) });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.deepEqual(res.json, { errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] });
    }
  });

  test('a wrong CLI secret is just anonymous on the allow-list', async () => {
    const res = await call(sandbox, 'GET', '/api/v2.0/projects', { auth: basic('alice', `${aliceSecret}x`) });
    assert.equal(res.status, 200);
    assert.deepEqual(names(res.json), ['library']);
    const token = await call(sandbox, 'GET', '/service/token?service=harbor-registry', {
      auth: basic('alice', 'Wrong-secret-1'),
    });
    assert.equal(token.status, 401);
  });

  test('Bearer ID token works on /api/… and GET /service/token', async () => {
    const me = await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(aliceIdToken) });
    assert.equal(me.status, 200);
    const body = me.json as { username: string; oidc_user_meta: { secret: string } };
    assert.equal(body.username, 'alice');
    assert.equal(body.oidc_user_meta.secret, aliceSecret);
    const token = await call(sandbox, 'GET', '/service/token?service=harbor-registry', { auth: bearer(aliceIdToken) });
    assert.equal(token.status, 200);
  });

  test('Bearer is refused when the signature is wrong, or it is an access token', async () => {
    const [h, p, s] = aliceIdToken.split('.');
    const tampered = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    assert.equal((await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(tampered) })).status, 401);
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'safe-81c2-bob' })).toString('base64url')}.${s}`;
    assert.equal((await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(forged) })).status, 401);
    const tokens = await deviceLogin(sandbox, 'alice');
    assert.equal(
      (await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(tokens.access_token) })).status,
      401,
    );
  });

  test("carol's ID token is refused until her first web login onboards her", async () => {
    const carol = (await deviceLogin(sandbox, 'carol')).id_token as string;
    assert.equal(sandbox.cliSecretOf('carol'), undefined);
    const before = await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(carol) });
    assert.equal(before.status, 401);
    await sandbox.webLogin('carol');
    const afterLogin = await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(carol) });
    assert.equal(afterLogin.status, 200);
    const body = afterLogin.json as { username: string; user_id: number; oidc_user_meta: { secret: string } };
    assert.equal(body.username, 'carol');
    assert.match(body.oidc_user_meta.secret, /^[A-Za-z0-9]{32}$/);
    assert.equal(body.oidc_user_meta.secret, sandbox.cliSecretOf('carol'));
  });

  test('robot Basic credentials work on /api, /service/token; robots are not users', async () => {
    const created = await call(sandbox, 'POST', '/api/v2.0/robots', {
      auth: bearer(aliceIdToken),
      body: {
        name: 'auth-check',
        level: 'project',
        duration: -1,
        permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }] }],
      },
    });
    assert.equal(created.status, 201);
    const { name, secret } = created.json as { name: string; secret: string };
    const projects = await call(sandbox, 'GET', '/api/v2.0/projects', { auth: basic(name, secret) });
    assert.deepEqual(names(projects.json), ['demo', 'library']);
    assert.equal(
      (await call(sandbox, 'GET', '/service/token?service=harbor-registry', { auth: basic(name, secret) })).status,
      200,
    );
    const me = await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: basic(name, secret) });
    assert.equal(me.status, 412);
    assert.equal(
      (await call(sandbox, 'GET', '/service/token?service=harbor-registry', { auth: basic(name, 'Wrong-secret-1') }))
        .status,
      401,
    );
  });

  test('a session cookie on a write without the CSRF token is rejected, even with a Bearer token', async () => {
    const { cookie, csrfToken } = await sandbox.webSession('bob');
    assert.ok(csrfToken);
    const me = await call(sandbox, 'GET', '/api/v2.0/users/current', { headers: { cookie } });
    assert.equal((me.json as { username: string }).username, 'bob', 'the session authenticates reads');
    const bobId = (me.json as { user_id: number }).user_id;
    const path = `/api/v2.0/users/${bobId}/cli_secret`;
    const bobToken = (await deviceLogin(sandbox, 'bob')).id_token as string;
    const noToken = await call(sandbox, 'PUT', path, {
      headers: { cookie },
      auth: bearer(bobToken),
      body: { secret: 'Another-Secret-9' },
    });
    assert.equal(noToken.status, 403);
    assert.deepEqual(noToken.json, { errors: [{ code: 'FORBIDDEN', message: 'CSRF token not found' }] });
    const wrong = await call(sandbox, 'PUT', path, {
      headers: { cookie, 'X-Harbor-CSRF-Token': 'nope' },
      body: { secret: 'Another-Secret-9' },
    });
    assert.equal(wrong.status, 403);
    const ok = await call(sandbox, 'PUT', path, {
      headers: { cookie, 'X-Harbor-CSRF-Token': csrfToken },
      body: { secret: 'Another-Secret-9' },
    });
    assert.equal(ok.status, 200);
    assert.equal(sandbox.cliSecretOf('bob'), 'Another-Secret-9');
    const noCookie = await call(sandbox, 'PUT', path, { auth: bearer(bobToken), body: { secret: 'Third-Secret-99' } });
    assert.equal(noCookie.status, 200, 'without the cookie no CSRF token is needed');
  });
});

describe('Harbor: ID token audience and expiry', { concurrency: true }, () => {
  test("an ID token whose aud lacks Harbor's client id is refused", async () => {
    const sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05, harborAudience: false });
    try {
      const token = (await deviceLogin(sandbox, 'alice')).id_token as string;
      assert.equal((await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(token) })).status, 401);
      assert.equal(
        (await call(sandbox, 'GET', '/service/token?service=harbor-registry', { auth: bearer(token) })).status,
        401,
      );
    } finally {
      await sandbox.stop();
    }
  });

  test('an expired ID token is refused (no leeway)', async () => {
    // 2 s, not 1: token times are whole seconds, and the start-up web login itself must not see
    // its own ID token expire between issue and check.
    const sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05, accessTokenTtl: 2 });
    try {
      const token = (await deviceLogin(sandbox, 'alice')).id_token as string;
      assert.equal((await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(token) })).status, 200);
      await sleep(2100);
      assert.equal((await call(sandbox, 'GET', '/api/v2.0/users/current', { auth: bearer(token) })).status, 401);
    } finally {
      await sandbox.stop();
    }
  });
});
