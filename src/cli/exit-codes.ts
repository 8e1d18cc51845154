import type { ErrorCode } from '../core/errors.ts';

/**
 * Exit codes of the people-facing commands, in one place. Protocol verbs (store/get/erase/list)
 * use only 0 and 1, as docker-credential-helpers does.
 */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** `daemon status`: no agent runs (as LSB's `status` says "not running"). */
  notRunning: 3,
  notLoggedIn: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'USAGE':
    case 'LOGIN_CANCELLED':
      return EXIT.usage;
    case 'NOT_LOGGED_IN':
    case 'NEEDS_WEB_LOGIN':
    case 'NOT_ONBOARDED':
    case 'LOGIN_EXPIRED':
    case 'LOGIN_DENIED':
      return EXIT.notLoggedIn;
    default:
      return EXIT.error;
  }
}
