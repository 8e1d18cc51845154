import { endpoints } from './handle.ts';
import express from 'express';
import { EidfError, oneLine } from '../../core/errors.ts';
import type { Clock, Logger, SecretStore } from '../../core/ports.ts';
import type { HarborHttp } from '../../harbor/http.ts';
import { findProject, validateProjectName, type HarborProject } from '../../harbor/projects.ts';
import {
  createProjectRobot,
  deleteRobot,
  findProjectRobot,
  listProjectRobots,
  refreshRobotSecret,
  robotProblem,
  validateRobotDays,
  validateRobotName,
  type RobotAccount,
} from '../../harbor/robots.ts';
import { probeSecret } from '../../harbor/users.ts';
import { forgetRobotSecret, keepRobotSecret, readRobotSecret } from '../../credentials/robot-secrets.ts';
import {
  DEFAULT_ROBOT_DAYS,
  DEFAULT_ROBOT_NAME,
  type CreatedRobotAnswer,
  type DeletedRobotAnswer,
  type ImportedRobotAnswer,
  type PullCredential,
  type RobotList,
  type RobotView,
} from '../api.ts';

export interface RobotRouterDeps {
  harbor: HarborHttp;
  /** Registry key the secrets are stored under (`robotSecretKey(registry, fullName)`). */
  registry: string;
  /** The session's current ID token; throws NOT_LOGGED_IN (or similar) when there is none. */
  idToken(): Promise<string>;
  store: SecretStore;
  clock: Clock;
  logger: Logger;
}

/**
 * The agent's robot-account endpoints (mounted at `/v1/robots`; shapes in `agent/api.ts`). Every call
 * reads the ID token, talks to Harbor with it, and keeps robot secrets in the store — the only copy of a
 * secret Harbor shows once.
 *
 * Policy for a robot that exists in Harbor but whose secret this store does not hold (created elsewhere,
 * or its kept secret no longer works): refuse with reason `robot-secret-unknown`/`robot-secret-stale` and
 * point at `robot rotate`, rather than rotate silently — rotating would break every cluster already using
 * the old secret. Expired or disabled robots are refused (rotation does not extend expiry).
 * Bad names and lifetimes are refused before any Harbor request.
 *
 * Maintainers cannot create robots (Harbor 2.11: project admins only); they get one from the helpdesk or
 * a project admin and `import` its secret, which is probed first and kept like a created one.
 */
export function createRobotRouter(deps: RobotRouterDeps): express.Router {
  const router = express.Router();
  const on = endpoints(router, '/v1/robots');

  on('POST /v1/robots/pull-credential', async (input) => {
    const project = projectField(input);
    const name = optionalName(input) ?? DEFAULT_ROBOT_NAME;
    const days = daysField(input);
    const token = await idTokenOrNone();
    if (token === null) return await keptWithoutLogin(project, name);
    const found = await findProject(deps.harbor, token, project);
    const existing = await findProjectRobot(deps.harbor, token, found, name);
    if (existing) {
      refuseUnusable(existing, found, deps.clock.now());
      const kept = await readRobotSecret(deps.store, deps.registry, existing.fullName);
      // An id of null: imported without a login; the robot of that name is taken to be the one.
      if (!kept || (kept.robotId !== existing.id && kept.robotId !== null)) throw secretNotHere(existing, found);
      if ((await probeSecret(deps.harbor, existing.fullName, kept.secret)) === 'invalid') {
        await forgetRobotSecret(deps.store, deps.registry, existing.fullName);
        throw new EidfError(
          'NOT_FOUND',
          `Harbor no longer accepts the secret kept for ${existing.fullName} (rotated elsewhere?); run "robot rotate ${existing.name} --project ${found.name}" to get a new one`,
          { reason: 'robot-secret-stale' },
        );
      }
      if (kept.expiresAt !== existing.expiresAt || kept.robotId === null) {
        await keepRobotSecret(deps.store, deps.registry, existing.fullName, {
          ...kept,
          robotId: existing.id,
          expiresAt: existing.expiresAt,
        });
      }
      deps.logger.info(`reused the kept secret of ${existing.fullName}`);
      const reused: PullCredential = {
        robotId: existing.id,
        username: existing.fullName,
        secret: kept.secret,
        expiresAt: existing.expiresAt,
        created: false,
        reused: true,
      };
      return reused;
    }
    const created = await createAndKeep(token, found, name, days, true);
    const fresh: PullCredential = {
      robotId: created.id,
      username: created.fullName,
      secret: created.secret,
      expiresAt: created.expiresAt,
      created: true,
      reused: false,
    };
    return fresh;
  });

  on('GET /v1/robots', async (input) => {
    const project = projectField(input);
    const token = await deps.idToken();
    const found = await findProject(deps.harbor, token, project);
    const robots = await listProjectRobots(deps.harbor, token, found.projectId);
    const views: RobotView[] = [];
    for (const robot of robots) {
      const kept = await readRobotSecret(deps.store, deps.registry, robot.fullName);
      views.push({ ...robot, secretKept: kept !== undefined && (kept.robotId === robot.id || kept.robotId === null) });
    }
    const body: RobotList = {
      project: { projectId: found.projectId, name: found.name, isAdmin: found.isAdmin },
      robots: views,
    };
    return body;
  });

  on('POST /v1/robots/create', async (input, _req, res) => {
    const project = projectField(input);
    const name = requiredName(input);
    const days = daysField(input);
    const token = await deps.idToken();
    const found = await findProject(deps.harbor, token, project);
    const created = await createAndKeep(token, found, name, days, false);
    const body: CreatedRobotAnswer = {
      robot: { id: created.id, fullName: created.fullName, name, expiresAt: created.expiresAt, secretKept: true },
    };
    res.status(201);
    return body;
  });

  on('POST /v1/robots/import', async (input) => {
    const secret = input.secret;
    if (typeof secret !== 'string' || secret === '' || /\s/.test(secret))
      throw new EidfError('BAD_INPUT', 'request needs the robot secret as a non-empty "secret" without spaces');
    if ((await idTokenOrNone()) === null)
      return await importWithoutLogin(projectField(input), requiredName(input), secret);
    const { found, robot } = await existingRobot(input);
    refuseUnusable(robot, found, deps.clock.now());
    if ((await probeSecret(deps.harbor, robot.fullName, secret)) === 'invalid') {
      deps.logger.info(`import of ${robot.fullName}: Harbor refused the secret (401); nothing kept`);
      throw new EidfError(
        'BAD_INPUT',
        `Harbor does not accept that secret for ${robot.fullName}: check it with whoever gave it to you; nothing was stored`,
        { reason: 'robot-secret-refused' },
      );
    }
    await keepRobotSecret(deps.store, deps.registry, robot.fullName, {
      robotId: robot.id,
      secret,
      expiresAt: robot.expiresAt,
    });
    deps.logger.info(`imported the secret of ${robot.fullName} (id ${robot.id}); probe: Harbor accepts it`);
    const body: ImportedRobotAnswer = {
      robot: {
        id: robot.id,
        fullName: robot.fullName,
        name: robot.name,
        expiresAt: robot.expiresAt,
        expiryKnown: true,
        secretKept: true,
      },
    };
    return body;
  });

  on('POST /v1/robots/rotate', async (input) => {
    const { token, found, robot } = await existingRobot(input);
    refuseUnusable(robot, found, deps.clock.now());
    const secret = await asAdmin(found, 'rotate', () => refreshRobotSecret(deps.harbor, token, robot.id));
    try {
      await keepRobotSecret(deps.store, deps.registry, robot.fullName, {
        robotId: robot.id,
        secret,
        expiresAt: robot.expiresAt,
      });
    } catch (err) {
      // Harbor has already replaced the secret: say so, the old one is dead either way.
      throw new EidfError(
        err instanceof EidfError ? err.code : 'INTERNAL',
        `rotated ${robot.fullName}, but could not keep the new secret (${oneLine(err)}); rotate again once the store works`,
        { cause: err },
      );
    }
    deps.logger.info(`rotated the secret of ${robot.fullName}`);
    const rotated: PullCredential = {
      robotId: robot.id,
      username: robot.fullName,
      secret,
      expiresAt: robot.expiresAt,
      created: false,
      reused: false,
    };
    return rotated;
  });

  on('POST /v1/robots/delete', async (input) => {
    const { token, found, robot } = await existingRobot(input);
    await asAdmin(found, 'delete', () => deleteRobot(deps.harbor, token, robot.id));
    const secretRemoved = await forgetRobotSecret(deps.store, deps.registry, robot.fullName);
    deps.logger.info(`deleted ${robot.fullName}`);
    const body: DeletedRobotAnswer = { deleted: robot.fullName, secretRemoved };
    return body;
  });

  /** The ID token, or null when there is no login (an EIDF user with a stored CLI secret has none). */
  async function idTokenOrNone(): Promise<string | null> {
    try {
      return await deps.idToken();
    } catch (err) {
      if (err instanceof EidfError && err.code === 'NOT_LOGGED_IN') return null;
      throw err;
    }
  }

  /**
   * Without a login Harbor's robot API cannot be read: the robot is named by the default prefix
   * (`robot$<project>+<name>`), and the probe is the only check. Expiry stays unknown.
   */
  async function importWithoutLogin(project: string, name: string, secret: string): Promise<ImportedRobotAnswer> {
    const fullName = `robot$${project}+${name}`;
    if ((await probeSecret(deps.harbor, fullName, secret)) === 'invalid') {
      deps.logger.info(`import of ${fullName} (no login): Harbor refused the secret (401); nothing kept`);
      throw new EidfError(
        'BAD_INPUT',
        `Harbor does not accept that secret for ${fullName}: check it (and the project and robot names) with whoever gave it to you; nothing was stored`,
        { reason: 'robot-secret-refused' },
      );
    }
    await keepRobotSecret(deps.store, deps.registry, fullName, { robotId: null, secret });
    deps.logger.info(`imported the secret of ${fullName} without a login; probe: Harbor accepts it; expiry unknown`);
    return { robot: { id: null, fullName, name, expiresAt: null, expiryKnown: false, secretKept: true } };
  }

  /** export-k8s without a login: a kept secret only (nothing can be created), probed before use. */
  async function keptWithoutLogin(project: string, name: string): Promise<PullCredential> {
    const fullName = `robot$${project}+${name}`;
    const kept = await readRobotSecret(deps.store, deps.registry, fullName);
    if (!kept) {
      throw new EidfError(
        'NOT_LOGGED_IN',
        `no secret is kept for ${fullName}, and without a login no robot can be created: import one you were given with "robot import ${name} --project ${project} --secret-stdin", or log in`,
        { reason: 'robot-secret-unknown' },
      );
    }
    if (kept.expiresAt !== undefined && kept.expiresAt !== null && kept.expiresAt <= deps.clock.now()) {
      throw new EidfError(
        'HARBOR_ERROR',
        `robot ${fullName} expired on ${new Date(kept.expiresAt).toISOString().slice(0, 10)}: ask a project admin to replace it`,
        { reason: 'robot-expired' },
      );
    }
    if ((await probeSecret(deps.harbor, fullName, kept.secret)) === 'invalid') {
      throw new EidfError(
        'NOT_FOUND',
        `Harbor no longer accepts the secret kept for ${fullName} (expired, rotated or deleted?): ask for a new one and import it again`,
        { reason: 'robot-secret-stale' },
      );
    }
    deps.logger.info(`reused the kept secret of ${fullName} (no login)`);
    return {
      robotId: kept.robotId,
      username: fullName,
      secret: kept.secret,
      expiresAt: kept.expiresAt ?? null,
      created: false,
      reused: true,
    };
  }

  async function existingRobot(body: {
    project?: unknown;
    robot?: unknown;
  }): Promise<{ token: string; found: HarborProject; robot: RobotAccount }> {
    const project = projectField(body);
    const name = requiredName(body);
    const token = await deps.idToken();
    const found = await findProject(deps.harbor, token, project);
    const robot = await findProjectRobot(deps.harbor, token, found, name);
    if (!robot)
      throw new EidfError('USAGE', `no robot named ${JSON.stringify(name)} in project ${JSON.stringify(found.name)}`, {
        reason: 'unknown-robot',
      });
    return { token, found, robot };
  }

  async function createAndKeep(token: string, project: HarborProject, name: string, days: number, forExport: boolean) {
    const created = await asAdmin(
      project,
      'create',
      () =>
        createProjectRobot(deps.harbor, token, {
          project: project.name,
          name,
          days,
          description: 'pull secret made by docker-credential-eidf',
        }),
      forExport,
    );
    try {
      await keepRobotSecret(deps.store, deps.registry, created.fullName, {
        robotId: created.id,
        secret: created.secret,
        expiresAt: created.expiresAt,
      });
    } catch (err) {
      // A robot whose secret nobody holds is useless: take it back so a retry starts clean.
      await deleteRobot(deps.harbor, token, created.id).catch(() =>
        deps.logger.warn(`could not delete ${created.fullName} after failing to keep its secret`),
      );
      throw err;
    }
    deps.logger.info(`created ${created.fullName} (id ${created.id}) in project ${project.name}`);
    return created;
  }
  return router;
}

/** Runs a robot-admin call; a 403 becomes one line naming who may do it (project admins). */
async function asAdmin<T>(
  project: HarborProject,
  verb: 'create' | 'rotate' | 'delete',
  call: () => Promise<T>,
  suggestUser = false,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof EidfError) || err.code !== 'HARBOR_FORBIDDEN') throw err;
    const owner = project.ownerName ? ` (the project owner is ${project.ownerName})` : '';
    const hint =
      verb !== 'create'
        ? '; ask one of them'
        : `; ask one of them (or the helpdesk) for a robot and store the secret you are given with "robot import NAME --project ${project.name} --secret-stdin"` +
          `, or export your own secret with ${suggestUser ? '--user' : 'export-k8s --user'} (it stops working when your Harbor login session ends, and it can push wherever you can)`;
    throw new EidfError(
      'HARBOR_FORBIDDEN',
      `only admins of project ${JSON.stringify(project.name)}${owner} can ${verb} robot accounts${hint}`,
      { reason: 'not-project-admin', cause: err },
    );
  }
}

function refuseUnusable(robot: RobotAccount, project: HarborProject, now: number): void {
  const problem = robotProblem(robot, now);
  if (problem === undefined) return;
  const when = problem === 'expired' ? ` on ${new Date(robot.expiresAt as number).toISOString().slice(0, 10)}` : '';
  throw new EidfError(
    'HARBOR_ERROR',
    `robot ${robot.fullName} is ${problem}${when}: delete it with "robot delete ${robot.name} --project ${project.name}" and create it again (rotating does not extend it)`,
    {
      reason: problem === 'expired' ? 'robot-expired' : 'robot-disabled',
    },
  );
}

function secretNotHere(robot: RobotAccount, project: HarborProject): EidfError {
  return new EidfError(
    'NOT_FOUND',
    `robot ${robot.fullName} exists but its secret is not kept on this machine (Harbor shows it only once): if you were given it, run "robot import ${robot.name} --project ${project.name} --secret-stdin"; a project admin can run "robot rotate ${robot.name} --project ${project.name}" for a new secret (copies elsewhere stop working); or choose another robot with --robot`,
    {
      reason: 'robot-secret-unknown',
    },
  );
}

function projectField(body: { project?: unknown }): string {
  const value = body.project;
  if (typeof value !== 'string' || value === '')
    throw new EidfError('BAD_INPUT', 'request needs a non-empty string "project"');
  validateProjectName(value);
  return value;
}

function optionalName(body: { robot?: unknown }): string | undefined {
  const value = body.robot;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new EidfError('BAD_INPUT', '"robot" must be a string');
  validateRobotName(value);
  return value;
}

function requiredName(body: { robot?: unknown }): string {
  const name = optionalName(body);
  if (name === undefined) throw new EidfError('BAD_INPUT', 'request needs a non-empty string "robot"');
  return name;
}

function daysField(body: { days?: unknown }): number {
  const value = body.days;
  if (value === undefined || value === null) return DEFAULT_ROBOT_DAYS;
  if (typeof value !== 'number') throw new EidfError('BAD_INPUT', '"days" must be a number');
  validateRobotDays(value);
  return value;
}
