import type { RobotAccount } from '../harbor/robots.ts';

/**
 * The JSON the agent's `/v1/robots` endpoints take and answer (server: `routes-robots.ts`, client: the
 * `export-k8s` and `robot` commands). Types and constants only, so the helper side loads nothing heavy.
 *
 * Endpoints (all bodies JSON; errors are the agent's usual `{error, error_description, reason?}`):
 * - `POST /v1/robots/pull-credential` {project, robot?, days?} → PullCredential
 * - `GET  /v1/robots?project=P` → RobotList
 * - `POST /v1/robots/create` {project, robot, days?} → CreatedRobotAnswer
 * - `POST /v1/robots/import` {project, robot, secret} → ImportedRobotAnswer (probed first; 400 robot-secret-refused;
 *   without a login only the probe is made)
 * - `POST /v1/robots/rotate` {project, robot} → PullCredential (created false, reused false)
 * - `POST /v1/robots/delete` {project, robot} → DeletedRobotAnswer
 */

/** Name of the pull robot `export-k8s` creates when `--robot` is not given. */
export const DEFAULT_ROBOT_NAME = 'k8s-pull';
/** Lifetime of a robot created without `--days`. */
export const DEFAULT_ROBOT_DAYS = 90;

/** A robot credential for the registry. Holds a secret: never log it. */
export interface PullCredential {
  /** null: a secret imported without a login, used as kept (Harbor's robot API needs a login). */
  robotId: number | null;
  /** Registry username: `robot$<project>+<name>`. */
  username: string;
  secret: string;
  /** ms since the epoch; null = never expires (or not known, for robotId null). */
  expiresAt: number | null;
  /** The robot was created by this request. */
  created: boolean;
  /** An existing robot's kept secret was answered (no rotation). */
  reused: boolean;
}

/** A robot as listed, plus whether this machine keeps its secret. */
export interface RobotView extends RobotAccount {
  secretKept: boolean;
}

export interface RobotList {
  project: { projectId: number; name: string; isAdmin: boolean };
  robots: RobotView[];
}

export interface CreatedRobotAnswer {
  robot: { id: number; fullName: string; name: string; expiresAt: number | null; secretKept: true };
}

export interface ImportedRobotAnswer {
  /** id null and expiry unknown when imported without a login (only the probe could be made). */
  robot: {
    id: number | null;
    fullName: string;
    name: string;
    expiresAt: number | null;
    expiryKnown: boolean;
    secretKept: true;
  };
}

export interface DeletedRobotAnswer {
  deleted: string;
  /** A kept secret was removed from the store. */
  secretRemoved: boolean;
}

/**
 * `EidfError.reason` values the robot endpoints set, so the CLI can add the right hint:
 * unknown-project, unknown-robot, robot-exists, not-project-admin, robot-expired, robot-disabled,
 * robot-secret-unknown (exists in Harbor, secret not kept here), robot-secret-stale (kept secret refused),
 * robot-secret-refused (an imported secret Harbor does not accept).
 */
export type RobotErrorReason =
  | 'unknown-project'
  | 'unknown-robot'
  | 'robot-exists'
  | 'not-project-admin'
  | 'robot-expired'
  | 'robot-disabled'
  | 'robot-secret-unknown'
  | 'robot-secret-stale'
  | 'robot-secret-refused';
