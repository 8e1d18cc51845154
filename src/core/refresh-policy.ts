/**
 * When to refresh the OIDC tokens: pure functions of (token lifetime, now, a random number in
 * [0, 1)). All times are milliseconds on the local clock. Nothing here reads a clock or a timer.
 */

/** An exponential back-off: the first retry delay, its cap, and how much of each delay jitter may remove. */
export interface BackoffPolicy {
  /** First retry after a failure; doubles with each further failure … */
  backoffBaseMs: number;
  /** … up to this cap. */
  backoffCapMs: number;
  /** Each retry delay is shortened at random by up to this fraction (keeps the cap a hard cap). */
  backoffJitterFraction: number;
}

export interface RefreshPolicy extends BackoffPolicy {
  /** Refresh this fraction of the token's lifetime before it expires … */
  marginFraction: number;
  /** … but at least this long before … */
  minMarginMs: number;
  /** … and at most this long before. */
  maxMarginMs: number;
  /** Refresh up to this fraction of the margin earlier still, at random, so agents do not move in step. */
  jitterFraction: number;
  /** A token is handed out only with at least this much life left (or a quarter of its lifetime, if less). */
  minRemainingMs: number;
}

export const DEFAULT_REFRESH_POLICY: RefreshPolicy = Object.freeze({
  marginFraction: 0.2,
  minMarginMs: 10_000,
  maxMarginMs: 5 * 60_000,
  jitterFraction: 0.1,
  backoffBaseMs: 2_000,
  backoffCapMs: 5 * 60_000,
  backoffJitterFraction: 0.2,
  minRemainingMs: 5_000,
});

/** A token's validity window on the local clock. */
export interface TokenWindow {
  issuedAt: number;
  expiresAt: number;
}

/**
 * How long before expiry to refresh a token of the given lifetime: marginFraction of it, clamped to
 * [minMarginMs, maxMarginMs], and never more than half the lifetime (so a token that lives only a
 * few seconds is refreshed at half-life rather than immediately and forever).
 */
export function refreshMargin(lifetimeMs: number, policy: RefreshPolicy = DEFAULT_REFRESH_POLICY): number {
  const lifetime = Math.max(0, lifetimeMs);
  const margin = Math.min(Math.max(lifetime * policy.marginFraction, policy.minMarginMs), policy.maxMarginMs);
  return Math.min(margin, lifetime / 2);
}

/**
 * The instant to refresh a token: `expiresAt − margin − jitter`, never before `now`. When the clock
 * has jumped past that point (suspend, resume, a skewed clock) the answer is `now`: refresh at once.
 */
export function nextRefreshAt(
  token: TokenWindow,
  now: number,
  random: number,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): number {
  const margin = refreshMargin(token.expiresAt - token.issuedAt, policy);
  const jitter = margin * policy.jitterFraction * unit(random);
  return Math.max(now, Math.floor(token.expiresAt - margin - jitter));
}

/**
 * The delay before retry number `failures` (1 = after the first failure): backoffBaseMs doubled per
 * further failure, capped at backoffCapMs, then shortened by up to backoffJitterFraction at random.
 * The one back-off: token refreshes and the secret keeper's probes both use it.
 */
export function backoffDelay(failures: number, random: number, policy: BackoffPolicy = DEFAULT_REFRESH_POLICY): number {
  const n = Math.max(1, Math.floor(failures));
  const exponential = Math.min(policy.backoffBaseMs * 2 ** (n - 1), policy.backoffCapMs);
  return Math.floor(exponential * (1 - policy.backoffJitterFraction * unit(random)));
}

/** Whether a token still has enough life left to hand out without refreshing it first. */
export function isFreshEnough(
  token: TokenWindow,
  now: number,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): boolean {
  const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
  return token.expiresAt - now > Math.min(policy.minRemainingMs, lifetime / 4);
}

/** Clamps a random draw into [0, 1] so a bad random source cannot move a refresh past expiry. */
function unit(random: number): number {
  return Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0;
}
