import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { loadConfig } from '../../src/config.ts';
import type { Fetch } from '../../src/core/ports.ts';
import type { AgentServices } from '../../src/agent/server/services.ts';
import { createAgent, type Agent } from '../../src/agent/server/create-agent.ts';
import { PROMPT_PAUSE_MS } from '../../src/agent/server/routes-session.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { skippedSleeps } from '../helpers/manual-timers.ts';

/**
 * Issue 10 in the agent: POST /v1/session/secret asks Harbor before it stores anything; the
 * keeper calls a secret dead only after two refusals in a row; GET|POST /prompt-pause. The real
 * sandbox Harbor behind a fetch that can refuse the next probes or send Harbor's requests to a
 * closed port. The agent's sleeps (the re-probe's 3 s) move its clock on instead of passing.
 */
describe('secret login in the agent: probe first, re-probe a refusal', () => {
  let sandbox: Sandbox;
  let services: AgentServices;
  let app: Agent['app'];
  const logLines: string[] = [];
  const net = { probes: 0, refuseNext: 0, down: false };
  // The clock stands still where a test sets it (the prompt pause), else it is the system's plus the skipped sleeps.
  let frozenNow: number | undefined;
  const jump = skippedSleeps();
  const now = () => frozenNow ?? jump.clock.now();

  const routedFetch: Fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin === sandbox.registryUrl && net.down) throw new TypeError('fetch failed');
    if (url.origin === sandbox.registryUrl && url.pathname === '/service/token') {
      net.probes++;
      if (net.refuseNext > 0) {
        net.refuseNext--;
        return new Response(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] }), {
          status: 401,
          headers: { 'content-type': 'application/json' },
        });
      }
    }
    return fetch(url, init);
  };
  const secret = () => sandbox.cliSecretOf('alice') as string;
  const storeSecret = (value: string) =>
    request(app).post('/v1/session/secret').send({ username: 'alice', secret: value });

  before(async () => {
    sandbox = await startSandbox({ registry: false, cliOidc: false, onboarded: ['alice'] });
    const env = {
      ...sandbox.env,
      EIDF_HOME: '/nonexistent-eidf-home',
      EIDF_STORE: 'memory',
      EIDF_KEEPALIVE_SECONDS: '86400',
    };
    const config = loadConfig(env, process.getuid?.() ?? 1000, () => undefined);
    const logger = { info: (l: string) => logLines.push(l), warn: (l: string) => logLines.push(l), debug: () => {} };
    ({ app, services } = createAgent({
      config,
      opened: { store: new MemoryStore(), kind: 'memory', reason: 'test' },
      version: 'test',
      pid: process.pid,
      fetch: routedFetch,
      clock: { now },
      timers: jump.timers,
      logger,
    }));
    services.start();
    await services.settled(10_000);
  });
  after(async () => {
    services?.stop();
    await sandbox?.stop();
  });
  beforeEach(() => {
    net.probes = 0;
    net.refuseNext = 0;
    net.down = false;
    jump.sleeps.length = 0;
  });

  it('a wrong secret: refused after two probes, as "Harbor refused user alice with this secret"; nothing stored', async () => {
    const res = await storeSecret('Wrong-Secret-123');
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'BAD_INPUT');
    assert.equal(res.body.reason, 'secret-refused');
    assert.match(res.body.error_description, /^Harbor refused user alice with this secret/);
    assert.equal(net.probes, 2);
    assert.deepEqual(jump.sleeps, [3_000], 'the second probe 3 s after the first');
    assert.equal(await services.credentials.get(sandbox.registryHost), null);
  });

  it('Harbor unreachable: HARBOR_UNREACHABLE (not "refused"), nothing stored', async () => {
    net.down = true;
    const res = await storeSecret(secret());
    assert.equal(res.status, 502);
    assert.equal(res.body.error, 'HARBOR_UNREACHABLE');
    assert.equal(await services.credentials.get(sandbox.registryHost), null);
  });

  it('the right secret: stored, valid, valid since now', async () => {
    const before = now();
    const res = await storeSecret(secret());
    assert.equal(res.status, 200);
    assert.equal(res.body.state, 'valid');
    assert.equal(res.body.mode, 'stored-secret');
    assert.ok(Date.parse(res.body.validSince) >= before);
    assert.equal(res.body.deadSince, null);
    assert.deepEqual(await services.credentials.get(sandbox.registryHost), { Username: 'alice', Secret: secret() });
  });

  it('one refusal is not a verdict: re-probed, still valid, valid-since unchanged', async () => {
    const { validSince } = services.keeper.status();
    net.refuseNext = 1;
    const status = await services.keeper.recheck();
    assert.equal(net.probes, 2);
    assert.deepEqual(jump.sleeps, [3_000]);
    assert.equal(status.state, 'valid');
    assert.equal(status.validSince, validSince);
    assert.ok(logLines.some((l) => /Harbor refused the registry secret once; asking again shortly/.test(l)));
    assert.equal(services.keeper.credential()?.Secret, secret());
  });

  it('two refusals: dead since the first, the user kept for status, the one command named; revived later', async () => {
    net.refuseNext = 2;
    const before = now();
    const dead = await services.keeper.recheck();
    const after = now();
    assert.equal(dead.state, 'needs-web-login');
    assert.equal(dead.username, 'alice');
    assert.equal(dead.validSince, null);
    const deadSince = Date.parse(dead.deadSince ?? '');
    assert.ok(deadSince >= before && deadSince <= after - 3_000, 'the first refusal, 3 s before the verdict');
    assert.match(dead.action ?? '', /^run: docker-credential-eidf login --web/);
    assert.equal(services.keeper.credential(), null);
    const alive = await services.keeper.recheck();
    assert.equal(alive.state, 'valid');
    assert.equal(alive.deadSince, null);
    assert.ok(Date.parse(alive.validSince ?? '') >= after);
  });

  it('prompt pause: none at first, 10 minutes after a POST, cleared by a working secret', async () => {
    assert.deepEqual((await request(app).get('/v1/session/prompt-pause')).body, { until: null });
    const start = (frozenNow = 1_000_000_000_000);
    const set = await request(app).post('/v1/session/prompt-pause');
    assert.equal(set.body.until, new Date(start + PROMPT_PAUSE_MS).toISOString());
    frozenNow = start + PROMPT_PAUSE_MS - 1;
    assert.equal((await request(app).get('/v1/session/prompt-pause')).body.until, set.body.until);
    frozenNow = start + PROMPT_PAUSE_MS + 1;
    assert.deepEqual((await request(app).get('/v1/session/prompt-pause')).body, { until: null });
    await request(app).post('/v1/session/prompt-pause');
    assert.equal((await request(app).post('/v1/session/secret/check')).body.state, 'valid');
    assert.deepEqual((await request(app).get('/v1/session/prompt-pause')).body, { until: null });
    frozenNow = undefined;
  });
});
