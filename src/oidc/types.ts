import type { Clock, Fetch } from '../core/ports.ts';

/**
 * What the OIDC wrapper needs to know about the IdP and this client. Built from `Config`
 * (`oidcIssuer`, `oidcClientId`, `oidcScopes`, `allowInsecureLoopback`) by `oidcSettingsFromConfig`.
 */
export interface OidcSettings {
  /** Issuer identifier, exactly as the IdP's discovery document spells it. */
  issuer: string;
  /** The public client (no secret) the device login uses. */
  clientId: string;
  /** Space-separated scopes asked for at login (`openid offline_access …`). */
  scopes: string;
  /** Allow an `http://` issuer, and only on a loopback host. */
  allowInsecureLoopback: boolean;
}

/** Side-effect ports of the OIDC wrapper. */
export interface OidcDeps {
  /** Every request to the IdP goes through this (default: global fetch). */
  fetch?: Fetch;
  /** Upper bound on any single HTTP request to the IdP, in milliseconds (default 10 000); a refresh gets three times as long. */
  requestTimeoutMs?: number;
  /** Used to turn relative lifetimes (`expires_in`) into instants (default: Date.now). */
  clock?: Clock;
}

/**
 * The IdP's device authorization response (RFC 8628 §3.2, wire names) plus `expires_at`, the instant
 * (ms, local clock) the device code stops working.
 */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string | undefined;
  expires_in: number;
  interval: number | undefined;
  expires_at: number;
}

/** The ID-token claims the product uses to say who is logged in. */
export interface IdentityClaims {
  sub: string;
  preferred_username: string | undefined;
  email: string | undefined;
}

/**
 * A token response, normalised. Instants are milliseconds on the local clock: the IdP's lifetimes
 * are applied to the moment the response arrived, so a skewed local clock does not skew refreshes.
 */
export interface TokenSet {
  idToken: string;
  accessToken: string;
  /** Absent when the IdP did not rotate (refresh) or issued none. */
  refreshToken: string | undefined;
  /** When the response arrived; for a refresh, when its request was sent (the tokens are no older). */
  receivedAt: number;
  idTokenExpiresAt: number;
  /**
   * When the refresh token stops working, where the IdP tells: `refresh_expires_in` in the token
   * response, else the `exp` of a JWT refresh token. Undefined when it does not say.
   */
  refreshTokenExpiresAt?: number | undefined;
  claims: IdentityClaims;
}

/** Outcome of asking the IdP to revoke a refresh token. */
export type RevocationResult = 'revoked' | 'unsupported';

/**
 * The OIDC operations the agent performs. Every method rejects only with an EidfError (codes
 * IDP_UNREACHABLE, IDP_ERROR, LOGIN_EXPIRED, LOGIN_DENIED, LOGIN_CANCELLED, NOT_LOGGED_IN,
 * CONFIG_INVALID) whose message never contains a token.
 */
export interface OidcClient {
  readonly issuer: string;
  readonly clientId: string;
  /** Starts an RFC 8628 device authorization with the configured scopes. */
  startDeviceAuthorization(): Promise<DeviceAuthorization>;
  /**
   * Polls the token endpoint until the user approves (tokens), denies (LOGIN_DENIED), the device
   * code expires (LOGIN_EXPIRED) or `signal` aborts (LOGIN_CANCELLED). Honours `interval` and `slow_down`.
   */
  pollDeviceAuthorization(authorization: DeviceAuthorization, signal?: AbortSignal): Promise<TokenSet>;
  /** Refresh-token grant. A dead refresh token (`invalid_grant`) is NOT_LOGGED_IN. */
  refreshTokens(refreshToken: string): Promise<TokenSet>;
  /** RFC 7009 revocation; 'unsupported' when the IdP advertises no revocation endpoint. */
  revokeRefreshToken(refreshToken: string): Promise<RevocationResult>;
}
