/**
 * The project's one error type. Every failure that reaches a person or a protocol caller is an
 * EidfError with a stable `code`; `cli/exit-codes.ts` maps codes to exit codes in one place and
 * the agent maps them to HTTP statuses in `agent/api.ts`.
 *
 * Messages are one line, lower-case, and never contain a secret.
 */
export const ERROR_CODES = [
  'USAGE', // wrong verb, flag or argument
  'BAD_INPUT', // malformed stdin or request body
  'NOT_FOUND', // no credentials for that server
  'CONFIG_INVALID', // a setting or a config file is invalid
  'STORE_LOCKED', // the keychain is locked
  'STORE_UNAVAILABLE', // the keychain (or file store) cannot be used
  'STORE_TIMEOUT', // a keychain call did not answer in time
  'AGENT_UNREACHABLE', // no agent answers and none could be started
  'AGENT_UNSAFE', // the agent's folder or socket is not safe to use
  'AGENT_ERROR', // the agent answered something unexpected
  'AGENT_SETTINGS_DIFFER', // the agent runs with other settings and may not be restarted from here
  'AGENT_VERSION_DIFFERS', // the systemd service runs another version, and restarting it did not help
  'IDP_UNREACHABLE',
  'IDP_ERROR',
  'LOGIN_EXPIRED',
  'LOGIN_DENIED',
  'LOGIN_CANCELLED',
  'NOT_LOGGED_IN',
  'HARBOR_UNREACHABLE',
  'HARBOR_ERROR',
  'HARBOR_FORBIDDEN',
  'NEEDS_WEB_LOGIN',
  'NOT_ONBOARDED',
  'KUBECTL_FAILED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The finer, stable reasons an EidfError may carry for a caller to act on (the agent sends them as
 * `reason`; `agent/api.ts` says which endpoint sets which):
 * - NOT_FOUND from `get`: login-required, logging-in, needs-web-login, not-onboarded;
 * - a CLI secret Harbor refused at login: secret-refused;
 * - robots: unknown-project, unknown-robot, robot-exists, not-project-admin, robot-expired, robot-disabled,
 *   robot-secret-unknown (exists in Harbor, secret not kept here), robot-secret-stale (kept secret refused),
 *   robot-secret-refused (an imported secret Harbor does not accept).
 */
export const ERROR_REASONS = [
  'login-required',
  'logging-in',
  'needs-web-login',
  'not-onboarded',
  'secret-refused',
  'unknown-project',
  'unknown-robot',
  'robot-exists',
  'not-project-admin',
  'robot-expired',
  'robot-disabled',
  'robot-secret-unknown',
  'robot-secret-stale',
  'robot-secret-refused',
] as const;

export type ErrorReason = (typeof ERROR_REASONS)[number];

export class EidfError extends Error {
  readonly code: ErrorCode;
  /** A finer, stable reason a caller may act on (e.g. NOT_FOUND because 'login-required'). */
  readonly reason: ErrorReason | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; reason?: ErrorReason }) {
    super(message, options);
    this.name = 'EidfError';
    this.code = code;
    this.reason = options?.reason;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export function isErrorReason(value: unknown): value is ErrorReason {
  return typeof value === 'string' && (ERROR_REASONS as readonly string[]).includes(value);
}

/** The message of any thrown value (or a text), reduced to its first line (errors are shown as one line). */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.trim().split('\n', 1)[0].trim();
}

/** The errno code (ENOENT, EACCES…) of a file-system error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
