import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { EidfError } from '../../src/core/errors.ts';
import type { SecretStore } from '../../src/core/ports.ts';
import { robotSecretKey } from '../../src/core/store-keys.ts';
import { createRobotRouter } from '../../src/agent/server/routes-robots.ts';
import { httpStatusOf } from '../../src/agent/api.ts';
import type { HarborHttp } from '../../src/harbor/http.ts';
import { refreshRobotSecret } from '../../src/harbor/robots.ts';
import { probeSecret } from '../../src/harbor/users.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { deviceLogin } from '../sandbox/helpers.ts';

const silent = { info() {}, warn() {}, debug() {} };

/** The router on a bare express app, with the agent's error mapping (app.ts is the lead's to wire). */
function agentWith(http: HarborHttp, registry: string, idToken: () => Promise<string>, store: SecretStore) {
  const app = express();
  app.use(express.json());
  app.use(
    '/v1/robots',
    createRobotRouter({ harbor: http, registry, idToken, store, clock: { now: () => Date.now() }, logger: silent }),
  );
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof EidfError) {
      res
        .status(httpStatusOf(err.code))
        .json({ error: err.code, error_description: err.message, ...(err.reason ? { reason: err.reason } : {}) });
      return;
    }
    res.status(500).json({ error: 'INTERNAL', error_description: String(err) });
  });
  return app;
}

describe('agent robot endpoints (router + sandbox Harbor)', () => {
  let sandbox: Sandbox;
  let http: HarborHttp;
  let registry: string;
  let requests = 0;
  let aliceToken: string;
  let alice: express.Express;
  let aliceStore: MemoryStore;
  let bob: express.Express;
  const probe = (username: string, secret: string) => probeSecret(http, username, secret);

  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05 });
    registry = sandbox.registryHost;
    http = { baseUrl: sandbox.registryUrl, timeoutMs: 10_000, fetch: (i, o) => (requests++, fetch(i, o)) };
    aliceToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
    const bobToken = (await deviceLogin(sandbox, 'bob')).id_token as string;
    aliceStore = new MemoryStore();
    alice = agentWith(http, registry, async () => aliceToken, aliceStore);
    bob = agentWith(http, registry, async () => bobToken, new MemoryStore());
  });
  after(() => sandbox.stop());

  test('pull-credential creates a pull-only robot once, keeps its secret, and reuses it after', async () => {
    const first = await request(alice).post('/v1/robots/pull-credential').send({ project: 'demo' }).expect(200);
    assert.equal(first.body.username, 'robot$demo+k8s-pull');
    assert.equal(first.body.created, true);
    assert.equal(first.body.reused, false);
    assert.equal(typeof first.body.expiresAt, 'number');
    const kept = JSON.parse((await aliceStore.get(robotSecretKey(registry, 'robot$demo+k8s-pull')))!);
    assert.deepEqual(kept, { robotId: first.body.robotId, secret: first.body.secret, expiresAt: first.body.expiresAt });
    assert.equal(await probe(first.body.username, first.body.secret), 'valid');

    const again = await request(alice).post('/v1/robots/pull-credential').send({ project: 'demo' }).expect(200);
    assert.deepEqual({ ...again.body }, { ...first.body, created: false, reused: true });

    const list = await request(alice).get('/v1/robots').query({ project: 'demo' }).expect(200);
    assert.deepEqual(list.body.project, { projectId: 2, name: 'demo', isAdmin: true });
    const listed = list.body.robots.find((r: { fullName: string }) => r.fullName === 'robot$demo+k8s-pull');
    assert.equal(listed.secretKept, true);
  });

  test('bob (not project admin) is told who can create robots, and about --user', async () => {
    const res = await request(bob)
      .post('/v1/robots/pull-credential')
      .send({ project: 'demo', robot: 'bob-pull' })
      .expect(403);
    assert.equal(res.body.error, 'HARBOR_FORBIDDEN');
    assert.equal(res.body.reason, 'not-project-admin');
    assert.match(
      res.body.error_description,
      /^only admins of project "demo" \(the project owner is alice\) can create robot accounts; .*--user/,
    );
    assert.match(res.body.error_description, /robot import NAME --project demo --secret-stdin/);
    const list = await request(bob).get('/v1/robots').query({ project: 'demo' }).expect(200);
    assert.equal(list.body.project.isAdmin, false);
    assert.ok(!list.body.robots.some((r: { name: string }) => r.name === 'bob-pull'));
  });

  test('import: bob keeps a secret he was given (probed, with id and expiry); an expired robot or a wrong secret is refused', async () => {
    const made = await request(alice)
      .post('/v1/robots/create')
      .send({ project: 'demo', robot: 'given', days: 30 })
      .expect(201);
    const secret = JSON.parse((await aliceStore.get(robotSecretKey(registry, made.body.robot.fullName)))!)
      .secret as string;
    const bobStore = new MemoryStore();
    const bobApp = agentWith(
      http,
      registry,
      async () => (await deviceLogin(sandbox, 'bob')).id_token as string,
      bobStore,
    );
    const wrong = await request(bobApp)
      .post('/v1/robots/import')
      .send({ project: 'demo', robot: 'given', secret: 'Wrong-Secret-123' })
      .expect(400);
    assert.equal(wrong.body.reason, 'robot-secret-refused');
    assert.deepEqual(await bobStore.keys(), []);
    const imported = await request(bobApp)
      .post('/v1/robots/import')
      .send({ project: 'demo', robot: 'given', secret })
      .expect(200);
    assert.deepEqual(imported.body.robot, { ...made.body.robot, expiryKnown: true, secretKept: true });
    assert.deepEqual(JSON.parse((await bobStore.get(robotSecretKey(registry, 'robot$demo+given')))!), {
      robotId: made.body.robot.id,
      secret,
      expiresAt: made.body.robot.expiresAt,
    });
    const reused = await request(bobApp)
      .post('/v1/robots/pull-credential')
      .send({ project: 'demo', robot: 'given' })
      .expect(200);
    assert.deepEqual([reused.body.reused, reused.body.secret], [true, secret]);
    // Imported without a login (id and expiry unknown): the first logged-in use fills both in.
    const loginless = agentWith(
      http,
      registry,
      async () => {
        throw new EidfError('NOT_LOGGED_IN', 'not logged in');
      },
      bobStore,
    );
    const blind = await request(loginless)
      .post('/v1/robots/import')
      .send({ project: 'demo', robot: 'given', secret })
      .expect(200);
    assert.deepEqual([blind.body.robot.id, blind.body.robot.expiryKnown], [null, false]);
    assert.equal(JSON.parse((await bobStore.get(robotSecretKey(registry, 'robot$demo+given')))!).robotId, null);
    await request(bobApp).post('/v1/robots/pull-credential').send({ project: 'demo', robot: 'given' }).expect(200);
    assert.deepEqual(JSON.parse((await bobStore.get(robotSecretKey(registry, 'robot$demo+given')))!), {
      robotId: made.body.robot.id,
      secret,
      expiresAt: made.body.robot.expiresAt,
    });
    sandbox.expireRobot(made.body.robot.id);
    const expired = await request(bobApp)
      .post('/v1/robots/import')
      .send({ project: 'demo', robot: 'given', secret })
      .expect(502);
    assert.equal(expired.body.reason, 'robot-expired');
    await request(bobApp).post('/v1/robots/import').send({ project: 'demo', robot: 'nobody', secret }).expect(400);
  });

  test('a robot whose secret is kept elsewhere is refused (not silently rotated)', async () => {
    const res = await request(bob).post('/v1/robots/pull-credential').send({ project: 'demo' }).expect(404);
    assert.equal(res.body.reason, 'robot-secret-unknown');
    assert.match(
      res.body.error_description,
      /robot\$demo\+k8s-pull exists but its secret is not kept on this machine.*robot rotate k8s-pull --project demo/,
    );
    const still = await request(alice).post('/v1/robots/pull-credential').send({ project: 'demo' }).expect(200);
    assert.equal(await probe(still.body.username, still.body.secret), 'valid', "alice's secret was not rotated");
  });

  test('rotate changes the secret, updates the store; the old secret is refused by /service/token', async () => {
    const before = await request(alice).post('/v1/robots/pull-credential').send({ project: 'demo' }).expect(200);
    const rotated = await request(alice)
      .post('/v1/robots/rotate')
      .send({ project: 'demo', robot: 'k8s-pull' })
      .expect(200);
    assert.equal(rotated.body.username, before.body.username);
    assert.notEqual(rotated.body.secret, before.body.secret);
    assert.equal(await probe(before.body.username, before.body.secret), 'invalid');
    assert.equal(await probe(rotated.body.username, rotated.body.secret), 'valid');
    const after = await request(alice).post('/v1/robots/pull-credential').send({ project: 'demo' }).expect(200);
    assert.equal(after.body.secret, rotated.body.secret);
    assert.equal(after.body.reused, true);
    const denied = await request(bob)
      .post('/v1/robots/rotate')
      .send({ project: 'demo', robot: 'k8s-pull' })
      .expect(403);
    assert.match(denied.body.error_description, /only admins of project "demo" .* can rotate robot accounts/);
  });

  test('a kept secret rotated elsewhere is reported stale and forgotten', async () => {
    const made = await request(alice)
      .post('/v1/robots/pull-credential')
      .send({ project: 'demo', robot: 'elsewhere' })
      .expect(200);
    await refreshRobotSecret(http, aliceToken, made.body.robotId);
    const res = await request(alice)
      .post('/v1/robots/pull-credential')
      .send({ project: 'demo', robot: 'elsewhere' })
      .expect(404);
    assert.equal(res.body.reason, 'robot-secret-stale');
    assert.equal(await aliceStore.get(robotSecretKey(registry, 'robot$demo+elsewhere')), null);
  });

  test('an expired robot is refused with advice to re-create it', async () => {
    const made = await request(alice)
      .post('/v1/robots/create')
      .send({ project: 'demo', robot: 'short', days: 1 })
      .expect(201);
    assert.equal(made.body.robot.fullName, 'robot$demo+short');
    sandbox.expireRobot(made.body.robot.id);
    for (const path of ['/v1/robots/pull-credential', '/v1/robots/rotate']) {
      const res = await request(alice).post(path).send({ project: 'demo', robot: 'short' }).expect(502);
      assert.equal(res.body.reason, 'robot-expired');
      assert.match(
        res.body.error_description,
        /robot\$demo\+short is expired on \d{4}-\d\d-\d\d: delete it with "robot delete short --project demo"/,
      );
    }
  });

  test('delete removes the robot and the kept secret', async () => {
    await request(alice).post('/v1/robots/create').send({ project: 'demo', robot: 'doomed' }).expect(201);
    assert.notEqual(await aliceStore.get(robotSecretKey(registry, 'robot$demo+doomed')), null);
    const res = await request(alice).post('/v1/robots/delete').send({ project: 'demo', robot: 'doomed' }).expect(200);
    assert.deepEqual(res.body, { deleted: 'robot$demo+doomed', secretRemoved: true });
    assert.equal(await aliceStore.get(robotSecretKey(registry, 'robot$demo+doomed')), null);
    const gone = await request(alice).post('/v1/robots/delete').send({ project: 'demo', robot: 'doomed' }).expect(400);
    assert.equal(gone.body.reason, 'unknown-robot');
  });

  test('bad names, lifetimes and unknown projects: clear errors, bad input never reaches Harbor', async () => {
    const before = requests;
    const bad = [
      { project: 'demo', robot: 'Bad$Name' },
      { project: 'demo', robot: 'a+b' },
      { project: 'demo', days: 0 },
      { project: 'demo', days: '90' },
      { project: 'Demo' },
      {},
    ];
    for (const body of bad) {
      const res = await request(alice).post('/v1/robots/pull-credential').send(body).expect(400);
      assert.ok(['USAGE', 'BAD_INPUT'].includes(res.body.error), JSON.stringify(res.body));
    }
    assert.equal(requests, before);
    const unknown = await request(alice).post('/v1/robots/pull-credential').send({ project: 'nosuch' }).expect(400);
    assert.equal(unknown.body.reason, 'unknown-project');
    assert.match(unknown.body.error_description, /no Harbor project "nosuch"/);
  });

  test('a store that cannot keep the secret leaves no robot behind; no login means 401', async () => {
    const locked: SecretStore = {
      ...new MemoryStore(),
      kind: 'keychain',
      get: async () => null,
      keys: async () => [],
      delete: async () => false,
      set: async () => {
        throw new EidfError('STORE_LOCKED', 'the keychain is locked');
      },
    };
    const app = agentWith(http, registry, async () => aliceToken, locked);
    const res = await request(app)
      .post('/v1/robots/pull-credential')
      .send({ project: 'demo', robot: 'unkept' })
      .expect(423);
    assert.equal(res.body.error, 'STORE_LOCKED');
    const list = await request(alice).get('/v1/robots').query({ project: 'demo' }).expect(200);
    assert.ok(!list.body.robots.some((r: { name: string }) => r.name === 'unkept'));

    const loggedOut = agentWith(
      http,
      registry,
      async () => {
        throw new EidfError('NOT_LOGGED_IN', 'not logged in');
      },
      new MemoryStore(),
    );
    const denied = await request(loggedOut).post('/v1/robots/pull-credential').send({ project: 'demo' }).expect(401);
    assert.equal(denied.body.error, 'NOT_LOGGED_IN');
  });
});
