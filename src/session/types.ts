import type { ErrorCode } from '../core/errors.ts';
import type { EidfError } from '../core/errors.ts';
import type { Clock, Logger, SecretStore, Timers } from '../core/ports.ts';
import type { RefreshPolicy } from '../core/refresh-policy.ts';
import type { OidcClient } from '../oidc/types.ts';

/** The session's state, as `status --json` shows it. */
export type SessionState = 'logged-out' | 'logging-in' | 'logged-in' | 'refreshing' | 'error';

/** What to show the user while a device login waits for approval (RFC 8628 wire names). */
export interface LoginPrompt {
  verification_uri: string;
  verification_uri_complete: string | null;
  user_code: string;
  /** ISO 8601 instant the code stops working. */
  expires_at: string;
}

/** A plain, JSON-ready picture of the session. Field names are stable (`status --json`). */
export interface SessionStatus {
  state: SessionState;
  issuer: string;
  /** The ID token's `sub`, while tokens are held. */
  subject: string | null;
  username: string | null;
  email: string | null;
  /** ISO 8601 instants (local clock), or null. */
  idTokenExpiresAt: string | null;
  nextRefreshAt: string | null;
  /**
   * When the refresh token stops working, so a new login is needed (absent in older agents), where
   * the IdP tells: `refresh_expires_in` in its token response, else the `exp` of a JWT refresh token.
   */
  refreshTokenExpiresAt?: string | null;
  /**
   * True once a renewal moved `refreshTokenExpiresAt` later: it is an idle limit that the agent's
   * renewals keep pushing back, so the day of the next login is not known.
   */
  refreshTokenExpirySlides?: boolean;
  /** The last failure (refresh or login), one line; cleared by the next success. */
  lastError: { code: ErrorCode; message: string } | null;
  /** Set while `state` is `logging-in`. */
  loginPrompt: LoginPrompt | null;
  /**
   * Set while the newest refresh token is held in this agent's memory only, because saving it failed
   * (the IdP has already consumed the one in the store). The agent keeps retrying the save.
   */
  refreshTokenUnsaved: UnsavedRefreshToken | null;
}

export interface UnsavedRefreshToken {
  /** Why the last save failed, one line. */
  reason: string;
  /** ISO 8601: since when the store is behind. */
  since: string;
  /** ISO 8601: the next save attempt. */
  nextSaveAt: string | null;
}

/** The one line `status` and `doctor` show for an unsaved refresh token. */
export function unsavedRefreshTokenLine(unsaved: Pick<UnsavedRefreshToken, 'reason'>): string {
  return `the refresh token could not be saved: ${unsaved.reason}; the session lasts while this agent runs`;
}

/** What the last save attempt at shutdown did (`flushUnsaved()`). */
export type FinalSave = { saved: true } | { saved: false; reason: string };

/** `login()`'s answer: the prompt, and whether the caller joined a login already in progress. */
export interface LoginStart {
  prompt: LoginPrompt;
  joined: boolean;
}

/** How a login ended (`waitForLogin`). */
export type LoginOutcome = { ok: true; status: SessionStatus } | { ok: false; error: EidfError };

/** What `logout()` did. `revoked`: 'no-token' when nothing was stored to revoke. */
export interface LogoutReport {
  wasLoggedIn: boolean;
  loginCancelled: boolean;
  revoked: 'revoked' | 'unsupported' | 'failed' | 'no-token';
  /** Why revocation failed (the local wipe happened anyway). */
  revokeError: string | null;
  /** Whether a refresh token was deleted from the store. */
  storeDeleted: boolean;
  storeError: string | null;
}

export type SessionEvent =
  'login-started' | 'logged-in' | 'login-failed' | 'refresh-started' | 'refreshed' | 'refresh-failed' | 'logged-out';

export interface SessionChange {
  event: SessionEvent;
  status: SessionStatus;
}

/** The OIDC operations the session needs (satisfied by `createOidcClient`). */
export type SessionOidc = Pick<
  OidcClient,
  | 'issuer'
  | 'clientId'
  | 'startDeviceAuthorization'
  | 'pollDeviceAuthorization'
  | 'refreshTokens'
  | 'revokeRefreshToken'
>;

export interface SessionDeps {
  oidc: SessionOidc;
  /** Holds the refresh token under `refreshTokenKey(issuer, clientId)`, and nothing else of ours. */
  store: SecretStore;
  clock: Clock;
  logger: Logger;
  /** Default: real timers, unref'd. */
  timers?: Timers;
  /** A source of numbers in [0, 1) for jitter (default Math.random). */
  random?: () => number;
  policy?: RefreshPolicy;
}
