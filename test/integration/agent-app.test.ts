import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { EidfError } from '../../src/core/errors.ts';
import type { SecretStore } from '../../src/core/ports.ts';
import { createAgentApp } from '../../src/agent/server/app.ts';
import { RegistryCredentials } from '../../src/credentials/registry-credentials.ts';
import { MemoryStore } from '../../src/store/memory.ts';

const silent = { info() {}, warn() {}, debug() {} };

function appWith(store: SecretStore = new MemoryStore()) {
  const shutdowns: string[] = [];
  const app = createAgentApp({
    version: '1.0.0',
    pid: 4242,
    clock: { now: () => 1_000_000 },
    logger: silent,
    credentials: new RegistryCredentials(store),
    store: { kind: store.kind, reason: 'test' },
    requestShutdown: (reason) => shutdowns.push(reason),
  });
  return { app, store, shutdowns };
}

describe('agent app', () => {
  it('health tells the version, pid and store', async () => {
    const { app } = appWith();
    const res = await request(app).get('/v1/health').expect(200);
    assert.deepEqual(res.body, {
      product: 'docker-credential-eidf',
      version: '1.0.0',
      pid: 4242,
      uptimeSeconds: 0,
      store: { kind: 'memory', reason: 'test' },
    });
  });

  it('store → get → list → erase round trip, persisted in the store', async () => {
    const { app, store } = appWith();
    await request(app)
      .post('/v1/credentials/store')
      .send({ registry: 'reg.example', Username: 'alice', Secret: 'pw' })
      .expect(204);
    assert.deepEqual(JSON.parse((await store.get('registry:reg.example'))!), { Username: 'alice', Secret: 'pw' });
    const got = await request(app).post('/v1/credentials/get').send({ registry: 'reg.example' }).expect(200);
    assert.deepEqual(got.body, { Username: 'alice', Secret: 'pw' });
    assert.deepEqual((await request(app).get('/v1/credentials').expect(200)).body, { 'reg.example': 'alice' });
    await request(app).post('/v1/credentials/erase').send({ registry: 'reg.example' }).expect(204);
    assert.equal(await store.get('registry:reg.example'), null);
    const missing = await request(app).post('/v1/credentials/get').send({ registry: 'reg.example' }).expect(404);
    assert.equal(missing.body.error, 'NOT_FOUND');
  });

  it('a warm get is answered from memory without touching the store', async () => {
    const store = new MemoryStore();
    const { app } = appWith(store);
    await request(app)
      .post('/v1/credentials/store')
      .send({ registry: 'reg.example', Username: 'alice', Secret: 'pw' })
      .expect(204);
    let reads = 0;
    const original = store.get.bind(store);
    store.get = async (key) => {
      reads++;
      return original(key);
    };
    for (let i = 0; i < 5; i++)
      await request(app).post('/v1/credentials/get').send({ registry: 'reg.example' }).expect(200);
    assert.equal(reads, 0);
  });

  it('a locked store is reported as locked (423), not as not-found', async () => {
    const store = new MemoryStore();
    store.get = async () => {
      throw new EidfError('STORE_LOCKED', 'the keychain is locked');
    };
    const { app } = appWith(store);
    const res = await request(app).post('/v1/credentials/get').send({ registry: 'reg.example' }).expect(423);
    assert.deepEqual(res.body, { error: 'STORE_LOCKED', error_description: 'the keychain is locked' });
  });

  it('a failing store write leaves nothing cached', async () => {
    const store = new MemoryStore();
    store.set = async () => {
      throw new EidfError('STORE_UNAVAILABLE', 'no keychain');
    };
    const { app } = appWith(store);
    await request(app)
      .post('/v1/credentials/store')
      .send({ registry: 'reg.example', Username: 'a', Secret: 'b' })
      .expect(503);
    await request(app).post('/v1/credentials/get').send({ registry: 'reg.example' }).expect(404);
  });

  it('bad bodies are 400 BAD_INPUT with one line', async () => {
    const { app } = appWith();
    const notJson = await request(app)
      .post('/v1/credentials/store')
      .set('content-type', 'application/json')
      .send('{"registry":')
      .expect(400);
    assert.equal(notJson.body.error, 'BAD_INPUT');
    const missing = await request(app).post('/v1/credentials/store').send({ registry: 'reg.example' }).expect(400);
    assert.equal(missing.body.error_description, 'request needs a non-empty string "Username"');
    const big = await request(app)
      .post('/v1/credentials/store')
      .send({ registry: 'r', Username: 'u', Secret: 'x'.repeat(100_000) })
      .expect(413);
    assert.equal(big.body.error, 'BAD_INPUT');
  });

  it('a helper of another version gets 409 and the agent asks to restart; health is exempt', async () => {
    const { app, shutdowns } = appWith();
    await request(app).get('/v1/health').set('x-eidf-version', '0.9.0').expect(200);
    const res = await request(app)
      .post('/v1/credentials/get')
      .set('x-eidf-version', '0.9.0')
      .send({ registry: 'r' })
      .expect(409);
    assert.equal(res.body.error, 'VERSION_MISMATCH');
    assert.deepEqual(shutdowns, ['helper version 0.9.0']);
  });

  it('unexpected errors are masked on the wire', async () => {
    const store = new MemoryStore();
    store.keys = async () => {
      throw new Error('boom with details');
    };
    const { app } = appWith(store);
    const res = await request(app).get('/v1/credentials').expect(500);
    assert.deepEqual(res.body, { error: 'INTERNAL', error_description: 'internal error in the agent; see its log' });
  });
});
