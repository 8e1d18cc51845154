import * as oidc from 'openid-client';
import { EidfError } from '../core/errors.ts';
import type { Config } from '../config.ts';
import { checkUrl } from '../core/url-policy.ts';
import { jwtExpiry } from './jwt-expiry.ts';
import type { Clock } from '../core/ports.ts';
import { toEidfError } from './errors.ts';
import type { DeviceAuthorization, IdentityClaims, OidcClient, OidcDeps, OidcSettings, TokenSet } from './types.ts';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * A refresh may take three times as long (30 s by default): one we give up on may still be carried
 * out by the IdP, which has then consumed the rotating refresh token, and our retry with it gets
 * invalid_grant, ending the session. A slow answer is far cheaper than a new login. The other
 * requests keep the shorter bound: a person waits on them, through the helper's 30 s socket bound
 * (agent/client/agent-client.ts), and abandoning them loses nothing.
 */
const REFRESH_TIMEOUT_FACTOR = 3;

/**
 * Reads the OIDC settings out of the product configuration. Throws CONFIG_INVALID when the issuer
 * or client id is not configured.
 */
export function oidcSettingsFromConfig(
  config: Pick<Config, 'oidcIssuer' | 'oidcClientId' | 'oidcScopes' | 'allowInsecureLoopback'>,
): OidcSettings {
  if (!config.oidcIssuer) throw new EidfError('CONFIG_INVALID', 'invalid configuration: EIDF_OIDC_ISSUER is not set');
  if (!config.oidcClientId)
    throw new EidfError('CONFIG_INVALID', 'invalid configuration: EIDF_OIDC_CLIENT_ID is not set');
  return {
    issuer: config.oidcIssuer,
    clientId: config.oidcClientId,
    scopes: config.oidcScopes,
    allowInsecureLoopback: config.allowInsecureLoopback,
  };
}

/**
 * Discovers the IdP now (one GET of its discovery document) and returns a client bound to it.
 * Rejects with IDP_UNREACHABLE / IDP_ERROR (HTML, bad JSON, a document for another issuer) or CONFIG_INVALID.
 */
export async function discover(settings: OidcSettings, deps: OidcDeps = {}): Promise<OidcClient> {
  const client = createOidcClient(settings, deps);
  await client.ready();
  return client;
}

/**
 * A client whose discovery happens on first use and is retried on the next call after a failure,
 * so an agent started while the IdP is down recovers by itself. Validates the settings at once
 * (CONFIG_INVALID): an `http://` issuer only on a loopback host with `allowInsecureLoopback`.
 */
export function createOidcClient(settings: OidcSettings, deps: OidcDeps = {}): OidcClient & { ready(): Promise<void> } {
  const issuerUrl = checkIssuer(settings);
  const insecure = issuerUrl.protocol === 'http:';
  if (settings.clientId.trim() === '')
    throw new EidfError('CONFIG_INVALID', 'invalid configuration: EIDF_OIDC_CLIENT_ID is empty');
  const timeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const refreshTimeoutMs = timeoutMs * REFRESH_TIMEOUT_FACTOR;
  const clock: Clock = deps.clock ?? { now: () => Date.now() };
  const baseFetch = deps.fetch ?? globalThis.fetch;
  const issuer = settings.issuer;

  // Every request carries our own deadline, whatever signal openid-client passes along.
  const boundedFetch: oidc.CustomFetch = (url, options) => {
    const refresh = options.body instanceof URLSearchParams && options.body.get('grant_type') === 'refresh_token';
    const deadline = AbortSignal.timeout(refresh ? refreshTimeoutMs : timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    return baseFetch(url, { ...options, signal });
  };

  let configuration: Promise<oidc.Configuration> | undefined;
  const configured = (): Promise<oidc.Configuration> => {
    configuration ??= oidc
      .discovery(issuerUrl, settings.clientId, undefined, oidc.None(), {
        [oidc.customFetch]: boundedFetch,
        // openid-client's own bound on every later request too: the longest of ours; boundedFetch applies each.
        timeout: refreshTimeoutMs / 1000,
        // http:// only reaches this point for an allowed loopback issuer (checkIssuer).
        execute: insecure ? [oidc.allowInsecureRequests] : [],
      })
      .catch((err: unknown) => {
        configuration = undefined;
        throw toEidfError(err, 'discovery', issuer);
      });
    return configuration;
  };

  return {
    issuer,
    clientId: settings.clientId,
    async ready() {
      await configured();
    },

    async startDeviceAuthorization() {
      const config = await configured();
      if (!config.serverMetadata().device_authorization_endpoint) {
        throw new EidfError(
          'IDP_ERROR',
          `the identity provider at ${issuer} does not offer the device login (no device_authorization_endpoint)`,
        );
      }
      try {
        const response = await oidc.initiateDeviceAuthorization(config, { scope: settings.scopes });
        return {
          device_code: response.device_code,
          user_code: response.user_code,
          verification_uri: response.verification_uri,
          verification_uri_complete: response.verification_uri_complete,
          expires_in: response.expires_in,
          interval: response.interval,
          expires_at: clock.now() + response.expires_in * 1000,
        };
      } catch (err) {
        throw toEidfError(err, 'device authorization', issuer);
      }
    },

    async pollDeviceAuthorization(authorization, signal) {
      const config = await configured();
      const remaining = authorization.expires_at - clock.now();
      if (remaining <= 0) throw expired();
      const expiry = new AbortController();
      const timer = setTimeout(() => expiry.abort(), remaining);
      const polling = signal ? AbortSignal.any([signal, expiry.signal]) : expiry.signal;
      try {
        for (;;) {
          try {
            const response = await oidc.pollDeviceAuthorizationGrant(
              config,
              wireAuthorization(authorization),
              undefined,
              { signal: polling },
            );
            return toTokenSet(response, clock.now(), issuer, true);
          } catch (err) {
            if (signal?.aborted) throw new EidfError('LOGIN_CANCELLED', 'the login was cancelled', { cause: err });
            if (expiry.signal.aborted) throw expired();
            const mapped = toEidfError(err, 'device login', issuer);
            // The IdP counts whole seconds and may drop an expired code before our timer fires;
            // it then says invalid_grant (the code is unknown), which means expired here.
            if (
              (err as { error?: unknown }).error === 'invalid_grant' &&
              clock.now() >= authorization.expires_at - EXPIRY_SLACK_MS
            )
              throw expired();
            // A blip at the IdP need not end a login the user may be approving right now:
            // poll again (after the interval) until the device code expires.
            if (mapped.code !== 'IDP_UNREACHABLE') throw mapped;
          }
        }
      } finally {
        clearTimeout(timer);
      }
    },

    async refreshTokens(refreshToken) {
      const config = await configured();
      try {
        // Lifetimes count from the request: the tokens are no older, and an answer read late (the
        // agent paused while it waited, a slow IdP) must not stretch them past the IdP's `exp`.
        const sentAt = clock.now();
        const response = await oidc.refreshTokenGrant(config, refreshToken);
        return toTokenSet(response, sentAt, issuer, false);
      } catch (err) {
        throw toEidfError(err, 'refresh', issuer, [refreshToken]);
      }
    },

    async revokeRefreshToken(refreshToken) {
      const config = await configured();
      if (!config.serverMetadata().revocation_endpoint) return 'unsupported';
      try {
        await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
        return 'revoked';
      } catch (err) {
        throw toEidfError(err, 'revocation', issuer, [refreshToken]);
      }
    },
  };
}

function checkIssuer(settings: OidcSettings): URL {
  checkUrl('EIDF_OIDC_ISSUER', settings.issuer, settings.allowInsecureLoopback);
  return new URL(settings.issuer);
}

/** How close to the device code's expiry an invalid_grant counts as "expired". */
const EXPIRY_SLACK_MS = 2_000;

function expired(): EidfError {
  return new EidfError('LOGIN_EXPIRED', 'the login code expired before it was approved; start the login again');
}

function wireAuthorization(a: DeviceAuthorization): oidc.DeviceAuthorizationResponse {
  return {
    device_code: a.device_code,
    user_code: a.user_code,
    verification_uri: a.verification_uri,
    expires_in: a.expires_in,
    ...(a.verification_uri_complete !== undefined ? { verification_uri_complete: a.verification_uri_complete } : {}),
    ...(a.interval !== undefined ? { interval: a.interval } : {}),
  };
}

type TokenResponse = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/**
 * Normalises a token response. The ID token's lifetime (exp − iat) is applied to `receivedAt`
 * so that refresh timing runs on the local clock alone.
 */
function toTokenSet(response: TokenResponse, receivedAt: number, issuer: string, needRefreshToken: boolean): TokenSet {
  const claims = response.id_token ? response.claims() : undefined;
  if (!claims || typeof claims.sub !== 'string') {
    throw new EidfError(
      'IDP_ERROR',
      `the identity provider at ${issuer} returned no ID token; is the openid scope allowed for this client?`,
    );
  }
  if (needRefreshToken && !response.refresh_token) {
    throw new EidfError(
      'IDP_ERROR',
      `the identity provider at ${issuer} returned no refresh token; is the offline_access scope allowed for this client?`,
    );
  }
  const exp = claims.exp * 1000;
  const iat = typeof claims.iat === 'number' ? claims.iat * 1000 : undefined;
  const idTokenExpiresAt = iat !== undefined && exp > iat ? receivedAt + (exp - iat) : exp;
  return {
    idToken: response.id_token!,
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    receivedAt,
    idTokenExpiresAt,
    refreshTokenExpiresAt: refreshTokenExpiry(response, receivedAt),
    claims: identity(claims),
  };
}

/**
 * When the refresh token stops working, if the IdP says: `refresh_expires_in` (Keycloak; 0 there
 * means no limit it tells), else the `exp` claim of a JWT refresh token. Undefined otherwise.
 */
function refreshTokenExpiry(response: TokenResponse, receivedAt: number): number | undefined {
  const lifetime = response.refresh_expires_in;
  if (typeof lifetime === 'number' && Number.isFinite(lifetime) && lifetime > 0) return receivedAt + lifetime * 1000;
  return response.refresh_token ? jwtExpiry(response.refresh_token) : undefined;
}

function identity(claims: oidc.IDToken): IdentityClaims {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    sub: claims.sub,
    preferred_username: text(claims.preferred_username),
    email: text(claims.email),
  };
}
