import type { EidfError } from '../core/errors.ts';
import { backoffDelay, isFreshEnough, nextRefreshAt } from '../core/refresh-policy.ts';
import type { RefreshPolicy, TokenWindow } from '../core/refresh-policy.ts';
import type { IdentityClaims, TokenSet } from '../oidc/types.ts';

/**
 * What the session holds in memory, and the refresh bookkeeping around it. No I/O and no clock:
 * callers pass `now` and a random draw, so each transition is a plain, synchronous state change.
 * Only the ID token is kept (the agent uses nothing else); the refresh token lives only in the store.
 */
export class HeldTokens {
  idToken: string | null = null;
  window: TokenWindow | null = null;
  claims: IdentityClaims | null = null;
  /** A refresh token is (believed to be) in the store. */
  session = false;
  /** The failure that put the session into back-off; cleared by the next success. */
  refreshError: EidfError | null = null;
  /** The last failure of any kind (login or refresh), for `status`. */
  lastError: EidfError | null = null;
  failures = 0;
  nextRefreshAt: number | null = null;
  retryAt: number | null = null;

  readonly #policy: RefreshPolicy;

  constructor(policy: RefreshPolicy) {
    this.#policy = policy;
  }

  /** Takes new tokens; clears errors; returns when to refresh them. */
  hold(tokens: TokenSet, now: number, random: number): number {
    this.idToken = tokens.idToken;
    this.window = { issuedAt: tokens.receivedAt, expiresAt: tokens.idTokenExpiresAt };
    this.claims = tokens.claims;
    this.session = true;
    this.failures = 0;
    this.refreshError = null;
    this.lastError = null;
    this.retryAt = null;
    this.nextRefreshAt = nextRefreshAt(this.window, now, random, this.#policy);
    return this.nextRefreshAt;
  }

  /** Records a failed refresh (tokens kept); returns the back-off delay before the next try. */
  failed(error: EidfError, now: number, random: number): number {
    this.failures++;
    this.refreshError = error;
    this.lastError = error;
    const delay = backoffDelay(this.failures, random, this.#policy);
    this.retryAt = now + delay;
    return delay;
  }

  /** Forgets the session; `reason` (if any) stays as the last error. */
  end(reason: EidfError | null): void {
    Object.assign(this, {
      idToken: null, window: null, claims: null, session: false,
      refreshError: null, lastError: reason, failures: 0, nextRefreshAt: null, retryAt: null,
    });
  }

  /** The ID token if it has enough life left to hand out, else null. */
  usableIdToken(now: number): string | null {
    return this.idToken !== null && this.window !== null && isFreshEnough(this.window, now, this.#policy) ? this.idToken : null;
  }

  backingOff(now: number): boolean {
    return this.retryAt !== null && now < this.retryAt;
  }

  /** The scheduled refresh time has come (and no back-off holds it off). */
  refreshDue(now: number): boolean {
    return this.nextRefreshAt !== null && now >= this.nextRefreshAt && !this.backingOff(now);
  }
}
