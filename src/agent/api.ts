import { EidfError, isErrorCode, type ErrorCode } from '../core/errors.ts';

/**
 * What travels between the helper and the agent over the socket: paths, headers and the error
 * body. Shared by `app.ts` (server) and `client.ts` (helper side); kept free of heavy imports.
 */
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
  reason?: string;
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
  const { error, error_description: description, reason } = (body ?? {}) as Partial<WireError>;
  if (isErrorCode(error) && typeof description === 'string') {
    return new EidfError(error, description, typeof reason === 'string' ? { reason } : undefined);
  }
  return new EidfError('AGENT_ERROR', `the agent answered HTTP ${status} without a readable error`);
}
