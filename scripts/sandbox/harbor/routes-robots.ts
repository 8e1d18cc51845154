import express from 'express';
import type { Request, Response, Router } from 'express';
import { HarborError, badRequest, forbidden, notFound, unauthorized } from './errors.ts';
import { pageLinks, paging, robotResp } from './present.ts';
import type { Principal } from './rbac.ts';
import { PROJECT_POLICIES, isSysadmin, robotActions } from './rbac.ts';
import { principalOf } from './security.ts';
import type { HarborStore, Robot, RobotPermission } from './store.ts';
import { ROBOT_PREFIX, hashSecret, now, randomAlnum } from './store.ts';

const NAME_RULE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const MAX_INT32 = 2 ** 31 - 1;
const DAY_S = 86_400;

function requireAccess(
  store: HarborStore,
  principal: Principal,
  level: string,
  namespace: string | number,
  action: string,
): void {
  if (principal.kind === 'anonymous') throw unauthorized();
  if (level === 'system') {
    if (!isSysadmin(principal)) throw forbidden();
    return;
  }
  if (level !== 'project') throw forbidden();
  const project = store.projectByNameOrId(namespace);
  if (!project) throw notFound(`project ${String(namespace)} not found`);
  if (!robotActions(principal, project).includes(action)) throw forbidden();
}

/** rAPI.validate in Harbor 2.11: duration -1 or 1…MaxInt32-1 days, known level, non-empty permissions. */
function validate(body: Record<string, unknown>): { duration: number; level: string; permissions: RobotPermission[] } {
  const duration = Number(body.duration);
  if (!Number.isInteger(duration) || !(duration === -1 || (duration > 0 && duration < MAX_INT32))) {
    throw badRequest(`bad request error duration input: ${String(body.duration)}`);
  }
  const level = String(body.level ?? '');
  if (level !== 'system' && level !== 'project') throw badRequest(`bad request error level input: ${level}`);
  const permissions = Array.isArray(body.permissions) ? (body.permissions as RobotPermission[]) : [];
  if (permissions.length === 0) throw badRequest('bad request empty permission');
  for (const p of permissions)
    if (!Array.isArray(p?.access) || p.access.length === 0) throw badRequest('bad request empty access');
  if (level === 'project' && permissions.length > 1) throw badRequest('bad request permission');
  for (const p of permissions) {
    for (const a of p.access) {
      if (!(PROJECT_POLICIES[a?.resource] ?? []).includes(a?.action)) throw badRequest('bad request permission');
    }
  }
  return { duration, level, permissions };
}

function expiresAt(creationTime: string, duration: number): number {
  return duration === -1 ? -1 : Math.floor(Date.parse(creationTime) / 1000) + duration * DAY_S;
}

function robotOr404(store: HarborStore, req: Request): Robot {
  const id = Number(req.params.id);
  const robot = Number.isInteger(id) ? store.robotById(id) : undefined;
  if (!robot) throw notFound(`robot ${String(req.params.id)} not found`);
  return robot;
}

/** Harbor's q syntax: `k=v,k2=~fuzzy`. */
function parseQuery(q: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of typeof q === 'string' ? q.split(',') : []) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

export function robotRoutes(store: HarborStore): Router {
  const router = express.Router();

  router.post('/api/v2.0/robots', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = String(body.name ?? '');
    if (!NAME_RULE.test(name)) throw badRequest('robot name is not in lower case or contains illegal characters');
    const { duration, level, permissions } = validate(body);
    const principal = principalOf(res);
    requireAccess(store, principal, level, permissions[0].namespace, 'create');
    const project = level === 'project' ? store.projectByNameOrId(permissions[0].namespace) : undefined;
    const storedName = project ? `${project.name}+${name}` : name;
    if (store.robotByName(storedName)) throw new HarborError('CONFLICT', `robot account ${storedName} already exists`);
    const secret = randomAlnum(32); // the `secret` in the request is ignored in 2.11, as in Harbor
    const created = now();
    const robot = store.addRobot(
      {
        name: storedName,
        description: String(body.description ?? ''),
        level: level as Robot['level'],
        projectId: project?.projectId ?? 0,
        duration,
        expiresAt: expiresAt(created, duration),
        disabled: false,
        permissions: permissions.map((p) => ({
          kind: p.kind,
          namespace: p.namespace,
          access: p.access.map((a) => ({ ...a })),
        })),
        creationTime: created,
        updateTime: created,
      },
      secret,
    );
    res
      .status(201)
      .location(`/api/v2.0/robots/${robot.id}`)
      .json({
        id: robot.id,
        name: ROBOT_PREFIX + robot.name,
        secret,
        creation_time: robot.creationTime,
        expires_at: robot.expiresAt,
      });
  });

  router.get('/api/v2.0/robots', (req: Request, res: Response) => {
    const principal = principalOf(res);
    if (principal.kind === 'anonymous') throw unauthorized();
    const q = parseQuery(req.query.q);
    const level = q.get('Level') ?? 'system';
    if (level !== 'system' && level !== 'project') throw badRequest('bad request error level input');
    let projectId = 0;
    if (level === 'project') {
      if (!q.has('ProjectID')) throw badRequest('must with project ID when to query project robots');
      projectId = Number(q.get('ProjectID'));
      if (!Number.isInteger(projectId)) throw badRequest('Project ID must be int type.');
    }
    requireAccess(store, principal, level, projectId, 'list');
    const nameFilter = q.get('name');
    const matches = store.robots
      .filter((r) => r.level === level && r.projectId === projectId)
      .filter((r) => {
        if (nameFilter === undefined) return true;
        return nameFilter.startsWith('~') ? r.name.includes(nameFilter.slice(1)) : r.name === nameFilter;
      });
    const { page, pageSize } = paging(req.query);
    res.setHeader('X-Total-Count', String(matches.length));
    const links = pageLinks(req.path, new URLSearchParams(req.url.split('?')[1] ?? ''), matches.length, page, pageSize);
    if (links) res.setHeader('Link', links);
    res.json(matches.slice((page - 1) * pageSize, page * pageSize).map(robotResp));
  });

  router.get('/api/v2.0/robots/:id', (req: Request, res: Response) => {
    const principal = principalOf(res);
    if (principal.kind === 'anonymous') throw unauthorized();
    const robot = robotOr404(store, req);
    requireAccess(store, principal, robot.level, robot.projectId, 'read');
    res.json(robotResp(robot));
  });

  // Update: full Robot body; name and level cannot change; duration counts from creation.
  router.put('/api/v2.0/robots/:id', (req: Request, res: Response) => {
    const principal = principalOf(res);
    if (principal.kind === 'anonymous') throw unauthorized();
    const robot = robotOr404(store, req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { duration, level, permissions } = validate(body);
    requireAccess(store, principal, level, permissions[0].namespace, 'update');
    if (level !== robot.level || body.name !== ROBOT_PREFIX + robot.name)
      throw badRequest('cannot update the level or name of robot');
    if (duration !== robot.duration) {
      robot.duration = duration;
      robot.expiresAt = expiresAt(robot.creationTime, duration);
    }
    robot.description = String(body.description ?? '');
    robot.disabled = body.disable === true;
    robot.permissions = permissions.map((p) => ({
      kind: p.kind,
      namespace: p.namespace,
      access: p.access.map((a) => ({ ...a })),
    }));
    robot.updateTime = now();
    res.status(200).end();
  });

  // Refresh the secret: empty → Harbor generates and returns one; given → validated, not echoed.
  router.patch('/api/v2.0/robots/:id', (req: Request, res: Response) => {
    const principal = principalOf(res);
    if (principal.kind === 'anonymous') throw unauthorized();
    const robot = robotOr404(store, req);
    requireAccess(store, principal, robot.level, robot.projectId, 'update');
    const requested = typeof req.body?.secret === 'string' ? req.body.secret : '';
    let returned: Record<string, string> = {};
    let secret = requested;
    if (requested) {
      const valid =
        requested.length >= 8 && /[a-z]/.test(requested) && /[A-Z]/.test(requested) && /[0-9]/.test(requested);
      if (!valid)
        throw badRequest(
          'the secret must longer than 8 chars with at least 1 uppercase letter, 1 lowercase letter and 1 number',
        );
    } else {
      secret = randomAlnum(32);
      returned = { secret };
    }
    robot.secretHash = hashSecret(secret, robot.salt);
    robot.updateTime = now();
    res.json(returned);
  });

  router.delete('/api/v2.0/robots/:id', (req: Request, res: Response) => {
    const principal = principalOf(res);
    if (principal.kind === 'anonymous') throw unauthorized();
    const robot = robotOr404(store, req);
    requireAccess(store, principal, robot.level, robot.projectId, 'delete');
    store.deleteRobot(robot.id);
    res.status(200).end();
  });

  return router;
}
