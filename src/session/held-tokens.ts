import type { EidfError } from '../core/errors.ts';
import { backoffDelay, isFreshEnough, nextRefreshAt } from '../core/refresh-policy.ts';
import type { RefreshPolicy, TokenWindow } from '../core/refresh-policy.ts';
import { jwtExpiry } from '../oidc/jwt-expiry.ts';
import type { IdentityClaims, TokenSet } from '../oidc/types.ts';

/**
 * What the session holds in memory, and the refresh bookkeeping around it. No I/O and no clock:
 * callers pass `now` and a random draw, so each transition is a plain, synchronous state change.
 * The ID token and the current refresh token are kept (the agent uses nothing else). The store holds
 * the refresh token for the next agent; once the IdP has rotated it, the one in memory is the only
 * valid one, so it is kept here even while it cannot be saved (`unsaved`).
 */
export class HeldTokens {
  idToken: string | null = null;
  window: TokenWindow | null = null;
  claims: IdentityClaims | null = null;
  /** The newest refresh token the IdP gave (null until login or the first refresh after a restore). */
  refreshToken: string | null = null;
  /** When `refreshToken` stops working, where the IdP tells (TokenSet.refreshTokenExpiresAt); else null. */
  refreshTokenExpiresAt: number | null = null;
  /**
   * The IdP moved that limit later at a renewal: it is an idle limit, which the agent's own renewals
   * keep pushing back, not the day a new login is needed.
   */
  refreshTokenExpirySlides = false;
  /** Set while `refreshToken` is not in the store: why the last save failed, and when it is tried again. */
  unsaved: { error: EidfError; since: number; failures: number; retryAt: number | null } | null = null;
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

  /** Takes new tokens (keeping `usedRefreshToken` when the IdP did not rotate it); clears errors; returns when to refresh them. */
  hold(tokens: TokenSet, usedRefreshToken: string | null, now: number, random: number): number {
    this.idToken = tokens.idToken;
    this.refreshToken = tokens.refreshToken ?? usedRefreshToken;
    // Not rotated: the used token's limit still holds (known from before, or its own `exp`).
    const before = this.refreshTokenExpiresAt;
    this.refreshTokenExpiresAt =
      tokens.refreshTokenExpiresAt ??
      (tokens.refreshToken !== undefined || usedRefreshToken === null
        ? null
        : (before ?? jwtExpiry(usedRefreshToken) ?? null));
    if (usedRefreshToken === null)
      this.refreshTokenExpirySlides = false; // a new login, a new chain
    else if (before !== null && this.refreshTokenExpiresAt !== null && this.refreshTokenExpiresAt > before + 1000)
      this.refreshTokenExpirySlides = true;
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

  /** Records a failed save of `refreshToken`; returns the (capped) back-off delay before the next try. */
  saveFailed(error: EidfError, now: number, random: number): number {
    const failures = (this.unsaved?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, random, this.#policy);
    this.unsaved = { error, since: this.unsaved?.since ?? now, failures, retryAt: now + delay };
    return delay;
  }

  /** Forgets the session; `reason` (if any) stays as the last error. */
  end(reason: EidfError | null): void {
    Object.assign(this, {
      idToken: null,
      window: null,
      claims: null,
      refreshToken: null,
      refreshTokenExpiresAt: null,
      refreshTokenExpirySlides: false,
      unsaved: null,
      session: false,
      refreshError: null,
      lastError: reason,
      failures: 0,
      nextRefreshAt: null,
      retryAt: null,
    });
  }

  /** The ID token if it has enough life left to hand out, else null. */
  usableIdToken(now: number): string | null {
    return this.idToken !== null && this.window !== null && isFreshEnough(this.window, now, this.#policy)
      ? this.idToken
      : null;
  }

  backingOff(now: number): boolean {
    return this.retryAt !== null && now < this.retryAt;
  }

  /** The scheduled refresh time has come (and no back-off holds it off). */
  refreshDue(now: number): boolean {
    return this.nextRefreshAt !== null && now >= this.nextRefreshAt && !this.backingOff(now);
  }
}
