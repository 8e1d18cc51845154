import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import type { ProviderContext, TokenLike } from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { IdpStore } from './adapter.ts';
import { deviceConfirmPage, deviceInputPage, deviceSuccessPage, errorPage } from './pages.ts';
import { accountBySub } from '../users.ts';

export const CLI_CLIENT_ID = 'eidf-cli';
export const HARBOR_CLIENT_ID = 'harbor';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface IdpSettings {
  issuer: string;
  accessTokenTtl: number;
  refreshIdleTtl: number;
  refreshAbsoluteTtl: number;
  /** Add Harbor's client id to the `aud` of ID tokens issued to the CLI client. */
  harborAudience: boolean;
  /** A `groups` claim in the ID tokens of Harbor's client (a mapper on that client only). */
  harborGroupsClaim?: boolean;
  devicePollInterval: number;
  /** Lifetime of a device code (and its user code), seconds (default 600). */
  deviceCodeTtl?: number;
  harborRedirectUri: string;
  harborClientSecret: string;
  /** Called with `verification_uri_complete` whenever a device code is issued. */
  onDeviceCode?: (verificationUriComplete: string) => void;
}

export interface IdpCore {
  provider: Provider;
  store: IdpStore;
  clientNames: Record<string, string>;
}

/** Builds the oidc-provider instance (not yet bound to a server). */
export async function createProvider(settings: IdpSettings): Promise<IdpCore> {
  const store = new IdpStore();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = {
    ...(await exportJWK(privateKey)),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };
  const clientNames: Record<string, string> = {
    [CLI_CLIENT_ID]: 'docker-credential-eidf',
    [HARBOR_CLIENT_ID]: 'Harbor',
  };

  // Refresh tokens: every use rotates; each new token lives `idle` seconds, but never past the
  // absolute limit counted from the first token of the chain (`iiat`). The grant and the
  // session end at the absolute limit too, which kills the whole chain.
  const refreshTokenTtl = (_ctx: unknown, token: TokenLike): number => {
    const age = Math.floor(Date.now() / 1000) - (token.iiat ?? Math.floor(Date.now() / 1000));
    return Math.max(1, Math.min(settings.refreshIdleTtl, settings.refreshAbsoluteTtl - age));
  };

  const provider = new Provider(settings.issuer, {
    adapter: store.adapterFactory(),
    clients: [
      {
        client_id: CLI_CLIENT_ID,
        client_name: clientNames[CLI_CLIENT_ID],
        token_endpoint_auth_method: 'none',
        grant_types: [DEVICE_GRANT, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: HARBOR_CLIENT_ID,
        client_name: clientNames[HARBOR_CLIENT_ID],
        client_secret: settings.harborClientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [settings.harborRedirectUri],
      },
    ],
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false, // ID tokens carry preferred_username/email, as many IdPs do
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accountBySub(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          preferred_username: account.username,
          name: account.name,
          email: account.email,
          email_verified: true,
        }),
      };
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: settings.accessTokenTtl,
      IdToken: settings.accessTokenTtl,
      RefreshToken: refreshTokenTtl,
      AuthorizationCode: 60,
      DeviceCode: settings.deviceCodeTtl ?? 600,
      Interaction: 600,
      Grant: settings.refreshAbsoluteTtl,
      Session: settings.refreshAbsoluteTtl,
      ClientCredentials: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        allowedPolicy: async (_c: unknown, client: { clientId: string }, token: TokenLike) =>
          token.clientId === client.clientId,
      },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx: { body: unknown }, form: string, _out: unknown, err?: Error) => {
          ctx.body = deviceInputPage(form, err ? 'That code is not valid or has expired. Try again.' : undefined);
        },
        userCodeConfirmSource: async (
          ctx: { body: unknown; oidc: { client: { clientId: string } } },
          form: string,
          _c: unknown,
          _d: unknown,
          userCode: string,
        ) => {
          ctx.body = deviceConfirmPage(
            form,
            clientNames[ctx.oidc.client.clientId] ?? ctx.oidc.client.clientId,
            userCode,
          );
        },
        successSource: async (ctx: { body: unknown; oidc: { client: { clientId: string } } }) => {
          ctx.body = deviceSuccessPage(clientNames[ctx.oidc.client.clientId] ?? ctx.oidc.client.clientId);
        },
      },
      rpInitiatedLogout: { enabled: false },
    },
    clientBasedCORS: () => true,
    renderError: async (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
  });

  // Post-processing of protocol responses: the device `interval`, the auto-approve hook and the
  // Harbor audience (oidc-provider always sets `aud` to the requesting client alone; a real IdP
  // would use an audience mapper, here we re-sign with the same key and kid).
  if (process.env.SANDBOX_DEBUG === '1')
    provider.on('grant.error', (_ctx: unknown, err: unknown) => console.error('grant.error', err));
  provider.use(async (ctx: ProviderContext, next: () => Promise<void>) => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.status !== 200 || !body || typeof body !== 'object') return;
    const route = ctx.oidc?.route;
    if (route === 'device_authorization') {
      body.interval = settings.devicePollInterval;
      if (settings.onDeviceCode && typeof body.verification_uri_complete === 'string') {
        settings.onDeviceCode(body.verification_uri_complete);
      }
    }
    if (route === 'token' && typeof body.refresh_token === 'string') {
      // As Keycloak says: how long the new refresh token lives (idle, capped by the absolute limit).
      body.refresh_expires_in = refreshTokenTtl(ctx, ctx.oidc?.entities?.RefreshToken ?? {});
    }
    if (
      route === 'token' &&
      settings.harborAudience &&
      ctx.oidc?.client?.clientId === CLI_CLIENT_ID &&
      typeof body.id_token === 'string'
    ) {
      body.id_token = await widenAudience(body.id_token, privateKey, signingJwk.kid as string);
    }
    if (
      route === 'token' &&
      settings.harborGroupsClaim &&
      ctx.oidc?.client?.clientId === HARBOR_CLIENT_ID &&
      typeof body.id_token === 'string'
    ) {
      body.id_token = await addGroups(body.id_token, privateKey, signingJwk.kid as string);
    }
  });

  return { provider, store, clientNames };
}

async function widenAudience(idToken: string, key: CryptoKey, kid: string): Promise<string> {
  const claims = decodeJwt(idToken);
  const aud = Array.isArray(claims.aud) ? claims.aud : [String(claims.aud)];
  const widened = { ...claims, aud: [...aud, HARBOR_CLIENT_ID], azp: CLI_CLIENT_ID };
  return new SignJWT(widened).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}

async function addGroups(idToken: string, key: CryptoKey, kid: string): Promise<string> {
  const claims = decodeJwt(idToken);
  const groups = accountBySub(String(claims.sub))?.groups ?? [];
  return new SignJWT({ ...claims, groups: [...groups] }).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}

/** Ends everything the IdP holds for one person, for every client: sessions, grants, tokens. */
export function revokeAccount(store: IdpStore, sub: string): number {
  let removed = 0;
  for (const [key, entry] of [...store.entries]) {
    if (entry.payload.accountId === sub) {
      store.entries.delete(key);
      removed += 1;
    }
  }
  // Tokens hang off grants; drop any whose grant is gone (device codes, codes, tokens).
  const liveGrants = new Set(store.list('Grant').map(([id]) => id));
  for (const [key, entry] of [...store.entries]) {
    const grantId = entry.payload.grantId;
    if (entry.model !== 'Grant' && typeof grantId === 'string' && !liveGrants.has(grantId)) {
      store.entries.delete(key);
      removed += 1;
    }
  }
  return removed;
}
