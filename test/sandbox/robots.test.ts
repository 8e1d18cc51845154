import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { basic, bearer, call, deviceLogin } from './helpers.ts';

const DAY = 86_400;
const pullOn = (namespace: string) => [
  { kind: 'project', namespace, access: [{ resource: 'repository', action: 'pull' }] },
];

describe('Harbor v2 robots', () => {
  let sandbox: Sandbox;
  let alice: string;
  let bob: string;
  const probe = async (name: string, secret: string) =>
    (await call(sandbox, 'GET', '/service/token?service=harbor-registry', { auth: basic(name, secret) })).status;

  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05 });
    alice = bearer((await deviceLogin(sandbox, 'alice')).id_token as string);
    bob = bearer((await deviceLogin(sandbox, 'bob')).id_token as string);
  });
  after(() => sandbox.stop());

  test('a project admin creates a robot: prefixed name, secret shown once, expiry in days', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await call(sandbox, 'POST', '/api/v2.0/robots', {
      auth: alice,
      body: { name: 'k8s-pull', description: 'd', level: 'project', duration: 90, permissions: pullOn('demo') },
    });
    assert.equal(res.status, 201);
    const created = res.json as { id: number; name: string; secret: string; expires_at: number };
    assert.equal(res.headers.get('location'), `/api/v2.0/robots/${created.id}`);
    assert.equal(created.name, 'robot$demo+k8s-pull');
    assert.match(created.secret, /^[A-Za-z0-9]{32}$/);
    assert.ok(Math.abs(created.expires_at - (before + 90 * DAY)) <= 2);
    const got = await call(sandbox, 'GET', `/api/v2.0/robots/${created.id}`, { auth: alice });
    assert.equal((got.json as { name: string }).name, 'robot$demo+k8s-pull');
    assert.equal('secret' in (got.json as object), false, 'GET never returns the secret');
    const list = await call(sandbox, 'GET', '/api/v2.0/robots?q=Level%3Dproject%2CProjectID%3D2', { auth: alice });
    assert.equal(list.headers.get('x-total-count'), '1');
    const exact = await call(
      sandbox,
      'GET',
      `/api/v2.0/robots?q=${encodeURIComponent('Level=project,ProjectID=2,name=demo+k8s-pull')}`,
      { auth: alice },
    );
    assert.equal((exact.json as unknown[]).length, 1);
    assert.equal(await probe(created.name, created.secret), 200);
  });

  test('name rules, duration and permissions are validated', async () => {
    const post = (body: Record<string, unknown>) =>
      call(sandbox, 'POST', '/api/v2.0/robots', {
        auth: alice,
        body: { level: 'project', duration: -1, permissions: pullOn('demo'), ...body },
      });
    for (const name of ['Upper', 'a+b', 'trailing-', '-lead', 'sp ace']) {
      const res = await post({ name });
      assert.equal(res.status, 400, name);
      assert.deepEqual(res.json, {
        errors: [{ code: 'BAD_REQUEST', message: 'robot name is not in lower case or contains illegal characters' }],
      });
    }
    assert.equal((await post({ name: 'zero', duration: 0 })).status, 400);
    assert.equal((await post({ name: 'noperm', permissions: [] })).status, 400);
    assert.equal(
      (
        await post({
          name: 'badaction',
          permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'fly' }] }],
        })
      ).status,
      400,
    );
    assert.equal((await post({ name: 'dup.ok' })).status, 201);
    const dup = await post({ name: 'dup.ok' });
    assert.equal(dup.status, 409);
    assert.equal((dup.json as { errors: Array<{ code: string }> }).errors[0].code, 'CONFLICT');
  });

  test('only project admins create robots; others get 403, anonymous 401', async () => {
    const body = { name: 'by-bob', level: 'project', duration: -1, permissions: pullOn('demo') };
    assert.equal((await call(sandbox, 'POST', '/api/v2.0/robots', { auth: bob, body })).status, 403);
    assert.equal((await call(sandbox, 'POST', '/api/v2.0/robots', { body })).status, 401);
    assert.equal(
      (
        await call(sandbox, 'POST', '/api/v2.0/robots', {
          auth: alice,
          body: { ...body, permissions: pullOn('library') },
        })
      ).status,
      403,
    );
    assert.equal(
      (await call(sandbox, 'POST', '/api/v2.0/robots', { auth: alice, body: { ...body, level: 'system' } })).status,
      403,
    );
    // bob may list (developer) but not delete
    assert.equal(
      (await call(sandbox, 'GET', '/api/v2.0/robots?q=Level%3Dproject%2CProjectID%3D2', { auth: bob })).status,
      200,
    );
    assert.equal(
      (await call(sandbox, 'GET', '/api/v2.0/robots', { auth: bob })).status,
      403,
      'system robots are for sysadmins',
    );
  });

  test('PATCH refreshes the secret (old one dies); PUT disables and re-dates from creation; DELETE removes', async () => {
    const res = await call(sandbox, 'POST', '/api/v2.0/robots', {
      auth: alice,
      body: { name: 'rotating', level: 'project', duration: 1, permissions: pullOn('demo') },
    });
    const robot = res.json as { id: number; name: string; secret: string; expires_at: number };
    const patched = await call(sandbox, 'PATCH', `/api/v2.0/robots/${robot.id}`, { auth: alice, body: { secret: '' } });
    const fresh = (patched.json as { secret: string }).secret;
    assert.match(fresh, /^[A-Za-z0-9]{32}$/);
    assert.equal(await probe(robot.name, robot.secret), 401);
    assert.equal(await probe(robot.name, fresh), 200);
    const own = await call(sandbox, 'PATCH', `/api/v2.0/robots/${robot.id}`, {
      auth: alice,
      body: { secret: 'Chosen-Secret-7' },
    });
    assert.deepEqual(own.json, {});
    assert.equal(await probe(robot.name, 'Chosen-Secret-7'), 200);
    assert.equal(
      (await call(sandbox, 'PATCH', `/api/v2.0/robots/${robot.id}`, { auth: alice, body: { secret: 'weak' } })).status,
      400,
    );
    const after = (await call(sandbox, 'GET', `/api/v2.0/robots/${robot.id}`, { auth: alice })).json as {
      expires_at: number;
    };
    assert.equal(after.expires_at, robot.expires_at, 'refreshing the secret does not extend expiry');

    const full = (await call(sandbox, 'GET', `/api/v2.0/robots/${robot.id}`, { auth: alice })).json as Record<
      string,
      unknown
    >;
    const put = await call(sandbox, 'PUT', `/api/v2.0/robots/${robot.id}`, {
      auth: alice,
      body: { ...full, duration: 10, disable: true },
    });
    assert.equal(put.status, 200);
    const updated = (await call(sandbox, 'GET', `/api/v2.0/robots/${robot.id}`, { auth: alice })).json as {
      expires_at: number;
      disable: boolean;
    };
    assert.equal(updated.expires_at, robot.expires_at + 9 * DAY, 'duration counts from creation');
    assert.equal(updated.disable, true);
    assert.equal(await probe(robot.name, 'Chosen-Secret-7'), 401, 'disabled robots are refused');
    const rename = await call(sandbox, 'PUT', `/api/v2.0/robots/${robot.id}`, {
      auth: alice,
      body: { ...full, name: 'robot$demo+other' },
    });
    assert.equal(rename.status, 400);
    assert.equal((await call(sandbox, 'PUT', `/api/v2.0/robots/${robot.id}`, { auth: bob, body: full })).status, 403);

    assert.equal((await call(sandbox, 'DELETE', `/api/v2.0/robots/${robot.id}`, { auth: bob })).status, 403);
    assert.equal((await call(sandbox, 'DELETE', `/api/v2.0/robots/${robot.id}`, { auth: alice })).status, 200);
    assert.equal((await call(sandbox, 'GET', `/api/v2.0/robots/${robot.id}`, { auth: alice })).status, 404);
  });

  test('an expired robot is refused', async () => {
    const res = await call(sandbox, 'POST', '/api/v2.0/robots', {
      auth: alice,
      body: { name: 'short-lived', level: 'project', duration: 1, permissions: pullOn('demo') },
    });
    const robot = res.json as { id: number; name: string; secret: string };
    assert.equal(await probe(robot.name, robot.secret), 200);
    sandbox.expireRobot(robot.id);
    assert.equal(await probe(robot.name, robot.secret), 401);
  });
});
