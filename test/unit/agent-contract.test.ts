import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { endpointParts, errorFromWire } from '../../src/agent/api.ts';
import type { AgentClient } from '../../src/agent/client/agent-client.ts';
import { endpoints } from '../../src/agent/server/handle.ts';
import { EidfError } from '../../src/core/errors.ts';

/**
 * The agent's contract (src/agent/api.ts) binds both sides: the `@ts-expect-error` lines below are
 * checked by `npm run typecheck` (a mismatch that no longer fails would fail it), the rest at run time.
 */
export async function contractMismatchesFailTheTypecheck(agent: AgentClient, router: express.Router): Promise<void> {
  const on = endpoints(router, '/v1/session');
  // @ts-expect-error: a request field the endpoint does not take
  void agent.call('POST /v1/credentials/get', { registy: 'reg.example' });
  // @ts-expect-error: an endpoint the agent does not have
  void agent.call('GET /v1/nothing');
  const health = await agent.call('GET /v1/health');
  // @ts-expect-error: a field the answer does not have
  void health.versio;
  // @ts-expect-error: the server answers another shape than the contract's
  on('POST /v1/session/web-login/browser', () => ({ opened: true }));
  // @ts-expect-error: a reason the contract does not list
  void new EidfError('NOT_FOUND', 'no', { reason: 'login-requird' });
  on('GET /v1/session/prompt-pause', (input) => {
    // @ts-expect-error: a request field the endpoint does not take (it takes none)
    const days: number = input.days;
    return { until: String(days) };
  });
}

describe('agent contract', () => {
  it('an endpoint answers through handle: JSON, 204 for null, the GET query as its input', async () => {
    const app = express();
    app.use(express.json());
    const router = express.Router();
    const on = endpoints(router, '/v1/robots');
    on('GET /v1/robots', (input) => ({
      project: { projectId: 1, name: String(input.project), isAdmin: false },
      robots: [],
    }));
    on('POST /v1/robots/delete', () => ({ deleted: 'robot$p+r', secretRemoved: false }));
    app.use('/v1/robots', router);
    const listed = await request(app).get('/v1/robots?project=demo').expect(200);
    assert.equal(listed.body.project.name, 'demo');
    assert.deepEqual((await request(app).post('/v1/robots/delete').send({}).expect(200)).body, {
      deleted: 'robot$p+r',
      secretRemoved: false,
    });
    const credentials = express.Router();
    endpoints(credentials, '/v1/credentials')('POST /v1/credentials/erase', () => null);
    app.use('/v1/credentials', credentials);
    await request(app).post('/v1/credentials/erase').send({ registry: 'r' }).expect(204);
  });

  it('an endpoint outside its router mount is refused when registered', () => {
    assert.throws(() => endpoints(express.Router(), '/v1/session')('GET /v1/health', () => health()), /not under/);
  });

  it('splits an endpoint into method and path', () => {
    assert.deepEqual(endpointParts('POST /v1/session/login/wait'), { method: 'POST', path: '/v1/session/login/wait' });
  });

  it('keeps a known reason from the wire and drops an unknown one', () => {
    const known = errorFromWire(404, { error: 'NOT_FOUND', error_description: 'x', reason: 'needs-web-login' });
    assert.equal(known.reason, 'needs-web-login');
    const unknown = errorFromWire(404, { error: 'NOT_FOUND', error_description: 'x', reason: 'from-the-future' });
    assert.equal(unknown.code, 'NOT_FOUND');
    assert.equal(unknown.reason, undefined);
  });
});

function health() {
  return {
    product: 'docker-credential-eidf' as const,
    version: '0',
    pid: 1,
    uptimeSeconds: 0,
    store: { kind: 'memory' as const, reason: 'test' },
  };
}
