import { EidfError } from '../core/errors.ts';
import { failFor, harborRequest, type HarborHttp } from './http.ts';

/**
 * Harbor 2.11 project robot accounts (`/api/v2.0/robots`), with Bearer ID tokens and no cookies.
 * Field names are camelCase here; Harbor's snake_case stays inside this file.
 */

export interface RobotAccess {
  resource: string;
  action: string;
}

export interface RobotPermission {
  kind: string;
  namespace: string;
  access: RobotAccess[];
}

/** A robot as Harbor lists it (Harbor never shows the secret again after creation). */
export interface RobotAccount {
  id: number;
  /** The registry username, prefix included: `robot$<project>+<name>`. */
  fullName: string;
  /** The name given at creation (after the `+`). */
  name: string;
  description: string;
  level: string;
  disabled: boolean;
  /** Expiry, ms since the epoch; null when the robot never expires. */
  expiresAt: number | null;
  permissions: RobotPermission[];
  creationTime: string | undefined;
}

/** What `POST /robots` answers: the only moment Harbor reveals the secret. */
export interface CreatedRobot {
  id: number;
  fullName: string;
  secret: string;
  expiresAt: number | null;
}

export interface NewProjectRobot {
  /** Project name (the permission's namespace). */
  project: string;
  name: string;
  /** Lifetime in days: -1 = never expires, else ≥ 1. */
  days: number;
  description: string;
  /** Default: pull only. */
  access?: RobotAccess[];
}

/** Harbor's `validateName` rule for robot names (no `+`, no upper case). */
export const ROBOT_NAME_RULE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const PULL_ONLY: readonly RobotAccess[] = [{ resource: 'repository', action: 'pull' }];
const MAX_DAYS = 2 ** 31 - 2; // Harbor: -1, or 1 … MaxInt32-1 exclusive
const PAGE_SIZE = 100;
const MAX_PAGES = 20;

/** Throws EidfError('USAGE') in one line when `name` breaks Harbor's robot-name rule. Reads nothing. */
export function validateRobotName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new EidfError('USAGE', 'robot name must not be empty');
  if (name.length > 255 || !ROBOT_NAME_RULE.test(name)) {
    throw new EidfError(
      'USAGE',
      `robot name ${JSON.stringify(name.slice(0, 80))} is not valid: use lower-case letters and digits, separated by single ".", "_" or "-" (no "+", "$" or spaces)`,
    );
  }
}

/** Throws EidfError('USAGE') unless `days` is -1 (never expires) or a whole number ≥ 1. */
export function validateRobotDays(days: number): void {
  if (!Number.isSafeInteger(days) || !(days === -1 || (days >= 1 && days <= MAX_DAYS))) {
    throw new EidfError(
      'USAGE',
      `robot lifetime ${JSON.stringify(String(days))} is not valid: give whole days ≥ 1, or -1 for never`,
    );
  }
}

/** Why a robot's credential cannot work now, or undefined when it can. Pure. */
export function robotProblem(robot: RobotAccount, now: number): 'disabled' | 'expired' | undefined {
  if (robot.disabled) return 'disabled';
  if (robot.expiresAt !== null && robot.expiresAt <= now) return 'expired';
  return undefined;
}

/**
 * `POST /api/v2.0/robots`: a project-level robot with one permission entry on `spec.project`. Checks the
 * name and days first (no request on bad input). Answers the full name and the secret Harbor generated.
 * 409 (name taken) → USAGE; 403 → HARBOR_FORBIDDEN (only project admins create robots in 2.11).
 */
export async function createProjectRobot(
  http: HarborHttp,
  idToken: string,
  spec: NewProjectRobot,
): Promise<CreatedRobot> {
  validateRobotName(spec.name);
  validateRobotDays(spec.days);
  const body = {
    name: spec.name,
    description: spec.description,
    level: 'project',
    duration: spec.days,
    permissions: [
      { kind: 'project', namespace: spec.project, access: (spec.access ?? PULL_ONLY).map((a) => ({ ...a })) },
    ],
  };
  const answer = await harborRequest(http, 'POST', '/api/v2.0/robots', { bearer: idToken }, body);
  if (answer.status === 409) {
    throw new EidfError(
      'USAGE',
      `a robot named ${JSON.stringify(spec.name)} already exists in project ${JSON.stringify(spec.project)}`,
      { reason: 'robot-exists' },
    );
  }
  if (answer.status !== 201)
    failFor(answer, `creating robot ${JSON.stringify(spec.name)} in project ${JSON.stringify(spec.project)}`);
  const created = answer.body as { id?: unknown; name?: unknown; secret?: unknown; expires_at?: unknown } | undefined;
  if (
    typeof created?.id !== 'number' ||
    typeof created.name !== 'string' ||
    typeof created.secret !== 'string' ||
    created.secret === ''
  ) {
    throw new EidfError('HARBOR_ERROR', 'Harbor created the robot but answered without its id, name and secret');
  }
  return { id: created.id, fullName: created.name, secret: created.secret, expiresAt: expiryOf(created.expires_at) };
}

/**
 * `GET /api/v2.0/robots?q=Level=project,ProjectID=<id>&page_size=100`, every page. Needs `list` on
 * robots in the project (guests and above). Reads nothing else.
 */
export async function listProjectRobots(http: HarborHttp, idToken: string, projectId: number): Promise<RobotAccount[]> {
  const robots: RobotAccount[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const query = new URLSearchParams({
      q: `Level=project,ProjectID=${projectId}`,
      page: String(page),
      page_size: String(PAGE_SIZE),
    });
    const answer = await harborRequest(http, 'GET', `/api/v2.0/robots?${query.toString()}`, { bearer: idToken });
    if (answer.status !== 200) failFor(answer, 'listing the robot accounts of the project');
    if (!Array.isArray(answer.body))
      throw new EidfError('HARBOR_ERROR', 'Harbor answered the robot list with something that is not a list');
    for (const raw of answer.body) {
      const robot = toRobot(raw);
      if (robot) robots.push(robot);
    }
    if (answer.body.length < PAGE_SIZE) break;
  }
  return robots;
}

/**
 * The project robot created as `name` in project `project.name`, or undefined. Lists the project's robots
 * and matches the full name exactly (whatever prefix Harbor is configured with), rather than trusting a
 * server-side name filter.
 */
export async function findProjectRobot(
  http: HarborHttp,
  idToken: string,
  project: { projectId: number; name: string },
  name: string,
): Promise<RobotAccount | undefined> {
  validateRobotName(name);
  const robots = await listProjectRobots(http, idToken, project.projectId);
  return robots.find(
    (robot) => robot.level === 'project' && robot.fullName.endsWith(`${project.name}+${name}`) && robot.name === name,
  );
}

/**
 * `PATCH /api/v2.0/robots/{id}` with `{"secret":""}`: Harbor generates a new secret, answers it, and the
 * old one stops working at once. Expiry is NOT extended (Harbor #22256).
 */
export async function refreshRobotSecret(http: HarborHttp, idToken: string, robotId: number): Promise<string> {
  const answer = await harborRequest(http, 'PATCH', `/api/v2.0/robots/${robotId}`, { bearer: idToken }, { secret: '' });
  if (answer.status !== 200) failFor(answer, `refreshing the secret of robot ${robotId}`);
  const secret = (answer.body as { secret?: unknown } | undefined)?.secret;
  if (typeof secret !== 'string' || secret === '')
    throw new EidfError('HARBOR_ERROR', 'Harbor refreshed the robot secret but did not answer the new one');
  return secret;
}

/** `DELETE /api/v2.0/robots/{id}` (project admins). */
export async function deleteRobot(http: HarborHttp, idToken: string, robotId: number): Promise<void> {
  const answer = await harborRequest(http, 'DELETE', `/api/v2.0/robots/${robotId}`, { bearer: idToken });
  if (answer.status !== 200) failFor(answer, `deleting robot ${robotId}`);
}

/** Harbor's `expires_at` (unix seconds, -1 = never) as ms or null. */
function expiryOf(value: unknown): number | null {
  return typeof value === 'number' && value >= 0 ? value * 1000 : null;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function toRobot(raw: unknown): RobotAccount | undefined {
  const r = raw as Record<string, unknown> | null;
  if (typeof r?.id !== 'number' || typeof r.name !== 'string') return undefined;
  const permissions = Array.isArray(r.permissions) ? (r.permissions as Array<Record<string, unknown>>) : [];
  return {
    id: r.id,
    fullName: r.name,
    name: r.name.slice(r.name.lastIndexOf('+') + 1),
    description: typeof r.description === 'string' ? r.description : '',
    level: typeof r.level === 'string' ? r.level : '',
    disabled: r.disable === true,
    expiresAt: expiryOf(r.expires_at),
    permissions: permissions.map((p) => ({
      kind: textOf(p?.kind),
      namespace: textOf(p?.namespace),
      access: (Array.isArray(p?.access) ? (p.access as Array<Record<string, unknown>>) : []).map((a) => ({
        resource: textOf(a?.resource),
        action: textOf(a?.action),
      })),
    })),
    creationTime: typeof r.creation_time === 'string' ? r.creation_time : undefined,
  };
}
