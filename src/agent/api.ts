/**
 * The contract between the helper/CLI and the agent over the socket: every endpoint with its method,
 * path, request, answer and the error reasons it may carry (`Endpoints`), the version header and the
 * error body. The client (`client/agent-client.ts` `call`) and the server (`server/app.ts` and
 * `server/routes-*.ts`, through `handle`) both take their types from here, so a change to a shape
 * breaks the typecheck on both sides. Types and small functions only: the helper's `get` path loads it.
 */
import { EidfError, isErrorCode, isErrorReason, type ErrorCode, type ErrorReason } from '../core/errors.ts';
import type { RegistryCredential, StoreKind } from '../core/ports.ts';
import type { KeptRobot } from '../credentials/robot-secrets.ts';
import type { SecretStatus } from '../credentials/secret-keeper.ts';
import type { DoctorReport } from '../doctor/verdicts.ts';
import type { RobotAccount } from '../harbor/robots.ts';
import type { FinalSave, LoginStart, LogoutReport, SessionStatus } from '../session/types.ts';

export const VERSION_HEADER = 'x-eidf-version';

/**
 * The header's value: the helper's version, and for commands for people the fingerprint of the
 * settings they would start an agent with (`0.1.0;settings=0123abcd…`). Protocol verbs send the
 * version only: docker runs them with whatever environment it has, and they use the agent that runs.
 */
export function callerIdentity(version: string, settings?: string): string {
  return settings === undefined ? version : `${version};settings=${settings}`;
}

export function parseCallerIdentity(value: string): { version: string; settings: string | undefined } {
  const [version, ...params] = value.split(';');
  const settings = params.find((param) => param.startsWith('settings='))?.slice('settings='.length);
  return { version: version, settings };
}

/** Error body of every non-2xx answer, like OAuth's `{error, error_description}`. */
export interface WireError {
  error: ErrorCode | 'VERSION_MISMATCH';
  error_description: string;
  /** VERSION_MISMATCH: the agent that stops, and whether a service manager starts it again. */
  pid?: number;
  service?: 'systemd';
  /** EidfError.reason, when there is one. */
  reason?: ErrorReason;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  BAD_INPUT: 400,
  CONFIG_INVALID: 400,
  AGENT_SETTINGS_DIFFER: 409,
  AGENT_VERSION_DIFFERS: 409,
  NOT_FOUND: 404,
  NOT_LOGGED_IN: 401,
  NEEDS_WEB_LOGIN: 401,
  NOT_ONBOARDED: 401,
  HARBOR_FORBIDDEN: 403,
  LOGIN_CANCELLED: 409,
  LOGIN_DENIED: 403,
  LOGIN_EXPIRED: 408,
  STORE_LOCKED: 423,
  STORE_UNAVAILABLE: 503,
  STORE_TIMEOUT: 504,
  IDP_UNREACHABLE: 502,
  IDP_ERROR: 502,
  HARBOR_UNREACHABLE: 502,
  HARBOR_ERROR: 502,
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** Rebuilds the agent's error on the helper side; anything unreadable becomes AGENT_ERROR. */
export function errorFromWire(status: number, body: unknown): EidfError {
  const { error, error_description: description, reason } = (body ?? {}) as Record<string, unknown>;
  if (isErrorCode(error) && typeof description === 'string') {
    return new EidfError(error, description, isErrorReason(reason) ? { reason } : undefined);
  }
  return new EidfError('AGENT_ERROR', `the agent answered HTTP ${status} without a readable error`);
}

/** NOT_FOUND reasons of `POST /v1/credentials/get`: why there is no credential, for the helper's hint. */
export type NotFoundReason = Extract<
  ErrorReason,
  'login-required' | 'logging-in' | 'needs-web-login' | 'not-onboarded'
>;
/** Reasons the robot endpoints set, so the CLI can add the right hint. */
export type RobotReason = Extract<
  ErrorReason,
  | 'unknown-project'
  | 'unknown-robot'
  | 'robot-exists'
  | 'not-project-admin'
  | 'robot-expired'
  | 'robot-disabled'
  | 'robot-secret-unknown'
  | 'robot-secret-stale'
  | 'robot-secret-refused'
>;

/** `GET /v1/health`: who answers. */
export interface AgentHealth {
  product: 'docker-credential-eidf';
  version: string;
  pid: number;
  uptimeSeconds: number;
  /** `path`: the secrets file, when the store is the file store. */
  store: { kind: StoreKind; reason: string; path?: string };
  /** The agent's settings for people (proxy passwords left out), for `doctor`. */
  settings?: Record<string, string>;
  service?: 'systemd';
}

/** `GET /v1/status`: the agent's view; `status` adds what only the command knows. */
export interface AgentStatusAnswer {
  registry: string;
  oidc: { issuer: string; clientId: string } | null;
  session: SessionStatus | null;
  registrySecret: SecretStatus;
  /** Robots whose secrets the agent keeps (`expiresAt` ms, null = never; absent when not recorded). */
  robots: KeptRobot[];
  /** Where the agent writes its log, and when it exits by itself (null: it stays running). */
  lifecycle: { log: string; idleExit: AgentIdleExit | null };
  agent: AgentHealth;
}

/** When the agent exits by itself: after `afterSeconds` idle, `when` (a phrase: "once it holds no session and nothing stored"). */
export interface AgentIdleExit {
  afterSeconds: number;
  when: string;
}

/** `POST /v1/shutdown`: stopping, and the last save of a refresh token held in memory (null: none held). */
export interface ShutdownAnswer {
  stopping: true;
  refreshTokenSave: FinalSave | null;
}

/** `POST /v1/session/login/wait`: the login ended well. */
export interface LoginResult {
  session: SessionStatus;
  registrySecret: SecretStatus;
}

/** What logout did with the robot secrets kept for the registry. */
export interface RobotSecretsReport {
  kept: number;
  removed: number;
  /** Why they could not be counted or removed, one line. */
  error: string | null;
}

/** What `logout --forget-all` removed from the store beyond the registry's own secrets. */
export interface OtherSecretsReport {
  removed: number;
  /** Why not all could be removed, one line. */
  error: string | null;
}

/** `POST /v1/session/logout`. */
export interface LogoutAnswer {
  session: LogoutReport | null;
  storedSecretErased: boolean;
  robotSecrets: RobotSecretsReport;
  /** null unless asked for with `forgetAll`. */
  otherSecrets: OtherSecretsReport | null;
}

/** `GET|POST /v1/session/prompt-pause`: until when `get` starts no login prompt (null: it may). */
export interface PromptPause {
  until: string | null;
}

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

/** One endpoint: what it takes (the JSON body; a GET's query), what it answers, the reasons its errors may carry. */
interface Endpoint<Request, Response, Reason extends ErrorReason = never> {
  request: Request;
  response: Response;
  reasons: Reason;
}

type Project = { project: string };
type ProjectRobot = { project: string; robot: string };

/**
 * Every endpoint of the agent, keyed `METHOD /path`. Errors are `WireError` bodies with the status
 * of `httpStatusOf(code)`; a 204 answers `null`.
 */
export interface Endpoints {
  'GET /v1/health': Endpoint<undefined, AgentHealth>;
  'GET /v1/status': Endpoint<undefined, AgentStatusAnswer>;
  'POST /v1/shutdown': Endpoint<undefined, ShutdownAnswer>;
  /** The protocol's `get`: for the configured registry the keeper's secret, else the stored one. */
  'POST /v1/credentials/get': Endpoint<{ registry: string }, RegistryCredential, NotFoundReason>;
  'POST /v1/credentials/store': Endpoint<{ registry: string } & RegistryCredential, null>;
  'POST /v1/credentials/erase': Endpoint<{ registry: string }, null>;
  /** Registry → username. */
  'GET /v1/credentials': Endpoint<undefined, Record<string, string>>;
  /** Start or join a device login; answers the prompt. */
  'POST /v1/session/login': Endpoint<undefined, LoginStart>;
  /** Held open until the login ends; closing it cancels this waiter's share of the login. */
  'POST /v1/session/login/wait': Endpoint<undefined, LoginResult>;
  'POST /v1/session/logout': Endpoint<
    { forgetRobots?: boolean | undefined; forgetAll?: boolean | undefined },
    LogoutAnswer
  >;
  /** Store a CLI secret after Harbor accepted it (secret mode). */
  'POST /v1/session/secret': Endpoint<{ username: string; secret: string }, SecretStatus, 'secret-refused'>;
  'POST /v1/session/secret/check': Endpoint<undefined, SecretStatus>;
  'POST /v1/session/secret/rotate': Endpoint<undefined, SecretStatus>;
  'GET /v1/session/prompt-pause': Endpoint<undefined, PromptPause>;
  /** After a login prompt `get` started was cancelled or expired: no other for a while. */
  'POST /v1/session/prompt-pause': Endpoint<undefined, PromptPause>;
  /** Whether this caller should open the browser at Harbor's web login (only the first of several waiting). */
  'POST /v1/session/web-login/browser': Endpoint<undefined, { open: boolean }>;
  'GET /v1/doctor': Endpoint<undefined, DoctorReport>;
  'POST /v1/robots/pull-credential': Endpoint<
    Project & { robot?: string | undefined; days?: number | undefined },
    PullCredential,
    RobotReason
  >;
  'GET /v1/robots': Endpoint<Project, RobotList, RobotReason>;
  'POST /v1/robots/create': Endpoint<ProjectRobot & { days?: number | undefined }, CreatedRobotAnswer, RobotReason>;
  /** Probed first; without a login only the probe is made. */
  'POST /v1/robots/import': Endpoint<ProjectRobot & { secret: string }, ImportedRobotAnswer, RobotReason>;
  'POST /v1/robots/rotate': Endpoint<ProjectRobot, PullCredential, RobotReason>;
  'POST /v1/robots/delete': Endpoint<ProjectRobot, DeletedRobotAnswer, RobotReason>;
}

export type EndpointName = keyof Endpoints;
export type RequestOf<E extends EndpointName> = Endpoints[E]['request'];
export type ResponseOf<E extends EndpointName> = Endpoints[E]['response'];
export type ReasonOf<E extends EndpointName> = Endpoints[E]['reasons'];

/** The method and path of an endpoint (`GET /v1/robots` → GET, /v1/robots). */
export function endpointParts(endpoint: EndpointName): { method: 'GET' | 'POST'; path: string } {
  const [method, path] = endpoint.split(' ') as ['GET' | 'POST', string];
  return { method, path };
}
