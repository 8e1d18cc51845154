import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import type { HarborHttp } from '../../src/harbor/http.ts';
import { findProject } from '../../src/harbor/projects.ts';
import {
  createProjectRobot,
  deleteRobot,
  findProjectRobot,
  listProjectRobots,
  refreshRobotSecret,
  robotProblem,
} from '../../src/harbor/robots.ts';
import { probeSecret } from '../../src/harbor/users.ts';
import { deviceLogin } from '../sandbox/helpers.ts';
import { eidfError } from '../helpers/errors.ts';

const DAY_MS = 86_400_000;

const rejectsWith = (code: string, pattern: RegExp, reason?: string) => eidfError(code, pattern, [], reason);

describe('Harbor projects and robots API (against the sandbox)', () => {
  let sandbox: Sandbox;
  let alice: string;
  let bob: string;
  let http: HarborHttp;
  const requests: string[] = [];

  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05 });
    alice = (await deviceLogin(sandbox, 'alice')).id_token as string;
    bob = (await deviceLogin(sandbox, 'bob')).id_token as string;
    http = {
      baseUrl: sandbox.registryUrl,
      timeoutMs: 10_000,
      fetch: (input, init) => {
        requests.push(`${init?.method ?? 'GET'} ${String(input)}`);
        return fetch(input, init);
      },
    };
  });
  after(() => sandbox.stop());

  test('findProject matches the exact name and tells whether the caller is project admin', async () => {
    assert.deepEqual(await findProject(http, alice, 'demo'), {
      projectId: 2,
      name: 'demo',
      isAdmin: true,
      ownerName: 'alice',
    });
    assert.equal((await findProject(http, bob, 'demo')).isAdmin, false, 'bob is a developer');
    assert.equal((await findProject(http, bob, 'library')).isAdmin, false, 'public project, no membership');
    // `name` is a fuzzy filter in Harbor: "dem" must not pick "demo".
    await assert.rejects(
      findProject(http, alice, 'dem'),
      rejectsWith('USAGE', /no Harbor project "dem" that you can see/, 'unknown-project'),
    );
  });

  test('bad project names are refused before any request', async () => {
    const before = requests.length;
    for (const name of ['', 'Demo', 'de mo', 'demo/x', '../demo']) {
      await assert.rejects(findProject(http, alice, name), rejectsWith('USAGE', /project name/));
    }
    assert.equal(requests.length, before);
  });

  test("robot names against Harbor's rules and bad lifetimes are refused before any request", async () => {
    const before = requests.length;
    for (const name of ['', 'Upper', 'a+b', 'robot$x', '-lead', 'trail-', 'sp ace', 'a..b']) {
      await assert.rejects(
        createProjectRobot(http, alice, { project: 'demo', name, days: 1, description: '' }),
        rejectsWith('USAGE', /robot name/),
      );
      await assert.rejects(
        findProjectRobot(http, alice, { projectId: 2, name: 'demo' }, name),
        rejectsWith('USAGE', /robot name/),
      );
    }
    for (const days of [0, -2, 1.5, Number.NaN, 2 ** 31]) {
      await assert.rejects(
        createProjectRobot(http, alice, { project: 'demo', name: 'ok', days, description: '' }),
        rejectsWith('USAGE', /lifetime/),
      );
    }
    assert.equal(requests.length, before);
  });

  test('alice creates a pull-only robot; it is listed, found by exact name, and its secret works', async () => {
    const t0 = Date.now();
    const created = await createProjectRobot(http, alice, {
      project: 'demo',
      name: 'api-pull',
      days: 90,
      description: 'test',
    });
    assert.equal(created.fullName, 'robot$demo+api-pull');
    assert.ok(created.expiresAt !== null && Math.abs(created.expiresAt - (t0 + 90 * DAY_MS)) < 5_000);
    await createProjectRobot(http, alice, { project: 'demo', name: 'api-pull2', days: -1, description: '' });

    const listed = await listProjectRobots(http, alice, 2);
    const mine = listed.find((r) => r.id === created.id);
    assert.ok(mine);
    assert.equal(mine.name, 'api-pull');
    assert.equal(mine.fullName, 'robot$demo+api-pull');
    assert.equal(mine.disabled, false);
    assert.equal(mine.expiresAt, created.expiresAt);
    assert.deepEqual(mine.permissions, [
      { kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }] },
    ]);
    assert.equal(listed.find((r) => r.name === 'api-pull2')?.expiresAt, null, '-1 days = never');

    assert.equal((await findProjectRobot(http, alice, { projectId: 2, name: 'demo' }, 'api-pull'))?.id, created.id);
    assert.equal(await findProjectRobot(http, alice, { projectId: 2, name: 'demo' }, 'api'), undefined);
    assert.equal(await probeSecret(http, created.fullName, created.secret), 'valid');

    await assert.rejects(
      createProjectRobot(http, alice, { project: 'demo', name: 'api-pull', days: 1, description: '' }),
      rejectsWith('USAGE', /already exists in project "demo"/, 'robot-exists'),
    );
  });

  test('bob (developer) may list robots but not create, rotate or delete them', async () => {
    await assert.rejects(
      createProjectRobot(http, bob, { project: 'demo', name: 'by-bob', days: 1, description: '' }),
      rejectsWith('HARBOR_FORBIDDEN', /creating robot/),
    );
    const robot = await findProjectRobot(http, bob, { projectId: 2, name: 'demo' }, 'api-pull');
    assert.ok(robot);
    await assert.rejects(refreshRobotSecret(http, bob, robot.id), rejectsWith('HARBOR_FORBIDDEN', /refreshing/));
    await assert.rejects(deleteRobot(http, bob, robot.id), rejectsWith('HARBOR_FORBIDDEN', /deleting/));
  });

  test('refreshing the secret answers a new one and kills the old; delete removes the robot', async () => {
    const created = await createProjectRobot(http, alice, {
      project: 'demo',
      name: 'rotating',
      days: 7,
      description: '',
    });
    const fresh = await refreshRobotSecret(http, alice, created.id);
    assert.notEqual(fresh, created.secret);
    assert.equal(await probeSecret(http, created.fullName, created.secret), 'invalid');
    assert.equal(await probeSecret(http, created.fullName, fresh), 'valid');
    await deleteRobot(http, alice, created.id);
    assert.equal(await findProjectRobot(http, alice, { projectId: 2, name: 'demo' }, 'rotating'), undefined);
    await assert.rejects(deleteRobot(http, alice, created.id), rejectsWith('HARBOR_ERROR', /found nothing/));
  });

  test('an expired robot is recognised as such', async () => {
    const created = await createProjectRobot(http, alice, { project: 'demo', name: 'short', days: 1, description: '' });
    const project = { projectId: 2, name: 'demo' };
    assert.equal(robotProblem((await findProjectRobot(http, alice, project, 'short'))!, Date.now()), undefined);
    sandbox.expireRobot(created.id);
    const expired = (await findProjectRobot(http, alice, project, 'short'))!;
    assert.equal(robotProblem(expired, Date.now()), 'expired');
    assert.equal(await probeSecret(http, created.fullName, created.secret), 'invalid');
    assert.equal(robotProblem({ ...expired, expiresAt: null, disabled: true }, Date.now()), 'disabled');
  });
});
