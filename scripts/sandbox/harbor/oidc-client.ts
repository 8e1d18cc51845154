import * as client from 'openid-client';
import { compactVerify, createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { StoredToken } from './store.ts';

/** Harbor's OIDC scope setting; `offline_access` is what makes a stored refresh token exist. */
const HARBOR_SCOPE = 'openid offline_access profile email';

/**
 * How Harbor's web login asks the IdP. `offlineAccess: false` plays a Harbor whose scope setting
 * lacks `offline_access` (no refresh token, so its stored token dies at the access token's
 * expiry); `consentPrompt: false` plays real Harbor's default, which sends no `prompt` (with
 * oidc-provider, as OIDC Core says, `offline_access` is then dropped: no refresh token either).
 */
export interface HarborLoginOptions {
  offlineAccess: boolean;
  consentPrompt: boolean;
}
/** golang.org/x/oauth2 treats a token as expired 10 s early (expiryDelta). */
const EXPIRY_DELTA_MS = 10_000;

/**
 * Harbor as a confidential OIDC client of the IdP: the web-login code flow, the refresh of
 * its stored token, userinfo, and ID-token verification (go-oidc's checks).
 */
export class HarborOidcClient {
  readonly config: client.Configuration;
  readonly issuer: string;
  readonly clientId: string;
  readonly redirectUri: string;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly login: HarborLoginOptions;

  private constructor(config: client.Configuration, clientId: string, redirectUri: string, login: HarborLoginOptions) {
    this.config = config;
    this.login = login;
    const metadata = config.serverMetadata();
    this.issuer = metadata.issuer;
    this.clientId = clientId;
    this.redirectUri = redirectUri;
    this.jwks = createRemoteJWKSet(new URL(metadata.jwks_uri as string));
  }

  static async discover(
    issuer: string,
    clientId: string,
    clientSecret: string,
    redirectUri: string,
    login: HarborLoginOptions = { offlineAccess: true, consentPrompt: true },
  ): Promise<HarborOidcClient> {
    const config = await client.discovery(
      new URL(issuer),
      clientId,
      clientSecret,
      client.ClientSecretBasic(clientSecret),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    return new HarborOidcClient(config, clientId, redirectUri, login);
  }

  /**
   * `prompt=consent` stands for Harbor's "extra redirect parameters" admin setting: oidc-provider
   * (per OIDC Core) drops `offline_access` from a code-flow request without it.
   */
  authorizationUrl(state: string): URL {
    const scope = this.login.offlineAccess ? HARBOR_SCOPE : HARBOR_SCOPE.replace(' offline_access', '');
    return client.buildAuthorizationUrl(this.config, {
      redirect_uri: this.redirectUri,
      scope,
      state,
      ...(this.login.consentPrompt ? { prompt: 'consent' } : {}),
    });
  }

  async exchangeCode(callbackUrl: URL, expectedState: string): Promise<StoredToken> {
    const tokens = await client.authorizationCodeGrant(this.config, callbackUrl, { expectedState });
    return toStored(tokens, tokens.refresh_token ?? '', tokens.id_token ?? '');
  }

  /** oauth2 TokenSource refresh: keeps the old refresh token when none comes back; Harbor
   * stores the new `id_token`, or an empty one when the response has none. */
  async refresh(token: StoredToken): Promise<StoredToken> {
    // golang.org/x/oauth2 tokenRefresher, as Harbor meets it with no refresh token stored.
    if (!token.refreshToken) throw new Error('oauth2: token expired and refresh token is not set');
    const tokens = await client.refreshTokenGrant(this.config, token.refreshToken);
    return toStored(tokens, tokens.refresh_token ?? token.refreshToken, tokens.id_token ?? '');
  }

  async userinfo(accessToken: string): Promise<Record<string, unknown>> {
    return client.fetchUserInfo(this.config, accessToken, client.skipSubjectCheck);
  }

  /**
   * go-oidc Verify with Harbor's client id: signature, iss, aud ∋ client id, exp (no leeway for
   * bearer tokens). `leewaySeconds` is for the login callback only: its ID token was issued a moment
   * ago, and with the second-long lifetimes tests use, whole-second rounding alone can expire it.
   */
  async verifyIdToken(raw: string, leewaySeconds = 0): Promise<JWTPayload> {
    const { payload } = await jwtVerify(raw, this.jwks, {
      issuer: this.issuer,
      audience: this.clientId,
      clockTolerance: leewaySeconds,
    });
    return payload;
  }

  /** parseIDToken: signature and issuer only (SkipClientIDCheck, SkipExpiryCheck). */
  async parseIdToken(raw: string): Promise<JWTPayload> {
    const { payload } = await compactVerify(raw, this.jwks);
    const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
    if (claims.iss !== this.issuer) throw new Error('id token issuer mismatch');
    return claims;
  }
}

/** oauth2.Token.Valid(): an access token that is not within 10 s of its expiry. */
export function tokenValid(token: StoredToken, nowMs = Date.now()): boolean {
  if (!token.accessToken) return false;
  return token.expiry === undefined || token.expiry - EXPIRY_DELTA_MS > nowMs;
}

function toStored(tokens: client.TokenEndpointResponse, refreshToken: string, idToken: string): StoredToken {
  return {
    accessToken: tokens.access_token,
    tokenType: tokens.token_type ?? 'Bearer',
    refreshToken,
    expiry: typeof tokens.expires_in === 'number' ? Date.now() + tokens.expires_in * 1000 : undefined,
    idToken,
  };
}
