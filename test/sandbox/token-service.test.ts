import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { basic, call, decodeJwtPart } from './helpers.ts';

describe('GET /service/token', () => {
  let sandbox: Sandbox;
  const token = async (query: string, auth?: string) => {
    const res = await call(sandbox, 'GET', `/service/token?service=harbor-registry${query}`, { auth });
    assert.equal(res.status, 200, res.text);
    const jwt = (res.json as { token: string }).token;
    return { body: res.json as Record<string, unknown>, header: decodeJwtPart(jwt, 0), claims: decodeJwtPart(jwt, 1) };
  };
  const alice = () => basic('alice', sandbox.cliSecretOf('alice') as string);
  const bob = () => basic('bob', sandbox.cliSecretOf('bob') as string);

  before(async () => {
    sandbox = await startSandbox({ registry: false, tokenServiceTtl: 120 });
  });
  after(() => sandbox.stop());

  test('401 for bad credentials and for anonymous calls without scope', async () => {
    assert.equal((await call(sandbox, 'GET', '/service/token?service=harbor-registry')).status, 401);
    assert.equal(
      (await call(sandbox, 'GET', '/service/token?service=harbor-registry', { auth: basic('alice', 'Wrong-1-secret') }))
        .status,
      401,
    );
    assert.equal(
      (
        await call(sandbox, 'GET', '/service/token?service=harbor-registry', {
          auth: basic('robot$demo+none', 'Wrong-1-secret'),
        })
      ).status,
      401,
    );
  });

  test('the token has the form distribution 2.8 needs', async () => {
    const { body, header, claims } = await token('&account=alice&client_id=docker&offline_token=true', alice());
    assert.equal(body.expires_in, 120);
    assert.equal(typeof body.issued_at, 'string');
    assert.equal(body.refresh_token, undefined, 'Harbor hands out no refresh token');
    assert.equal(header.alg, 'RS256');
    assert.match(String(header.kid), /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/, 'libtrust key id');
    assert.equal(claims.aud, 'harbor-registry', 'aud must be a string for distribution 2.8');
    assert.equal(claims.iss, 'harbor-token-issuer');
    assert.equal(claims.sub, 'alice');
    assert.equal(Number(claims.exp) - Number(claims.iat), 120);
  });

  test('actions are cut to what the caller may do', async () => {
    const scope = '&scope=repository:demo/app:pull,push,delete&scope=repository:library/base:pull,push';
    const a = await token(scope, alice());
    assert.deepEqual(a.claims.access, [
      { type: 'repository', name: 'demo/app', actions: ['pull', 'push', 'delete'] },
      { type: 'repository', name: 'library/base', actions: ['pull'] },
    ]);
    const b = await token(scope, bob());
    assert.deepEqual(
      (b.claims.access as Array<{ actions: string[] }>).map((x) => x.actions),
      [['pull', 'push'], ['pull']],
    );
    const anon = await token(scope);
    assert.deepEqual(
      (anon.claims.access as Array<{ actions: string[] }>).map((x) => x.actions),
      [[], ['pull']],
    );
    const spaced = await token(
      `&scope=${encodeURIComponent('repository:demo/app:pull repository:nope/x:pull registry:catalog:*')}`,
      bob(),
    );
    assert.deepEqual(
      (spaced.claims.access as Array<{ actions: string[] }>).map((x) => x.actions),
      [['pull'], [], []],
    );
  });

  test('unknown service is 400; POST is 405 as in Harbor', async () => {
    assert.equal((await call(sandbox, 'GET', '/service/token?service=other', { auth: alice() })).status, 400);
    const post = await fetch(`${sandbox.registryUrl}/service/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x&service=harbor-registry&client_id=docker',
    });
    assert.equal(post.status, 405);
  });
});
