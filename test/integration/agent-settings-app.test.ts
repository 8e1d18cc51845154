import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { createAgentApp } from '../../src/agent/server/app.ts';
import { RegistryCredentials } from '../../src/credentials/registry-credentials.ts';
import { VERSION_HEADER } from '../../src/agent/api.ts';
import { MemoryStore } from '../../src/store/memory.ts';

const silent = { info() {}, warn() {}, debug() {} };

/** The agent's handler with settings fingerprint `aaaa`; `keep` is what keepRunning answers. */
function appWith(keep?: string) {
  const shutdowns: string[] = [];
  const app = createAgentApp({
    version: '1.0.0',
    pid: 4242,
    clock: { now: () => 1_000_000 },
    logger: silent,
    credentials: new RegistryCredentials(new MemoryStore()),
    store: { kind: 'memory', reason: 'test' },
    settings: 'aaaa',
    settingsShown: { EIDF_STORE: 'memory' },
    keepRunning: async () => keep,
    requestShutdown: (reason) => shutdowns.push(reason),
  });
  return { app, shutdowns };
}

describe("agent app: the caller's settings", () => {
  it('the same settings, or none (protocol verbs): served', async () => {
    const { app, shutdowns } = appWith();
    await request(app).get('/v1/credentials').set(VERSION_HEADER, '1.0.0;settings=aaaa').expect(200);
    await request(app).get('/v1/credentials').set(VERSION_HEADER, '1.0.0').expect(200);
    assert.deepEqual(shutdowns, []);
  });

  it('other settings: 409 VERSION_MISMATCH (the helper then starts a new agent) and the agent stops', async () => {
    const { app, shutdowns } = appWith();
    const res = await request(app)
      .post('/v1/credentials/get')
      .set(VERSION_HEADER, '1.0.0;settings=bbbb')
      .send({ registry: 'r.example' })
      .expect(409);
    assert.deepEqual(res.body, {
      error: 'VERSION_MISMATCH',
      error_description: 'the agent restarts: this command runs with other settings',
    });
    assert.deepEqual(shutdowns, ['a command runs with other settings']);
  });

  it('other settings, but the agent must keep running: 409 AGENT_SETTINGS_DIFFER with what to do, and it keeps running', async () => {
    const { app, shutdowns } = appWith('run: systemctl --user restart docker-credential-eidf');
    const res = await request(app).get('/v1/status').set(VERSION_HEADER, '1.0.0;settings=bbbb').expect(409);
    assert.deepEqual(res.body, {
      error: 'AGENT_SETTINGS_DIFFER',
      error_description: 'run: systemctl --user restart docker-credential-eidf',
    });
    assert.deepEqual(shutdowns, []);
  });

  it('health and shutdown answer whatever the settings; health shows them', async () => {
    const { app, shutdowns } = appWith();
    const health = await request(app).get('/v1/health').set(VERSION_HEADER, '1.0.0;settings=bbbb').expect(200);
    assert.deepEqual(health.body.settings, { EIDF_STORE: 'memory' });
    await request(app).post('/v1/shutdown').set(VERSION_HEADER, '1.0.0;settings=bbbb').expect(202);
    assert.deepEqual(shutdowns, ['asked to stop']);
  });

  it('another version still wins over settings', async () => {
    const { app, shutdowns } = appWith('keep');
    const res = await request(app).get('/v1/status').set(VERSION_HEADER, '2.0.0;settings=bbbb').expect(409);
    assert.equal(res.body.error, 'VERSION_MISMATCH');
    assert.deepEqual(shutdowns, ['helper version 2.0.0']);
  });
});
