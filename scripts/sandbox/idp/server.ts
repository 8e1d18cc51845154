import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import express from 'express';
import { CLI_CLIENT_ID, HARBOR_CLIENT_ID, createProvider, revokeAccount } from './provider.ts';
import type { IdpSettings } from './provider.ts';
import { interactionRoutes } from './interactions.ts';
import { closeServer, listenLoopback } from '../http-util.ts';
import { accountByUsername } from '../users.ts';

export { CLI_CLIENT_ID, HARBOR_CLIENT_ID };

/** One request to the token endpoint, as the IdP answered it (for tests that count refreshes). */
export interface TokenRequest {
  grantType: string | undefined;
  clientId: string | undefined;
  status: number;
  /** The OAuth error code of a refused request (`invalid_grant` …). */
  error: string | undefined;
}

export interface Idp {
  issuer: string;
  /** Every token-endpoint request so far, in order. */
  tokenRequests: TokenRequest[];
  harborClientSecret: string;
  /** Ends all sessions, grants and tokens of a sandbox user at the IdP, for every client. */
  revokeUser(username: string): void;
  close(): Promise<void>;
}

export type IdpOptions = Omit<IdpSettings, 'issuer' | 'harborClientSecret'>;

/** The sandbox's OIDC provider on its own loopback origin. */
export async function startIdp(options: IdpOptions): Promise<Idp> {
  const { server, port } = await listenLoopback(0);
  const issuer = `http://127.0.0.1:${port}`;
  const harborClientSecret = randomBytes(24).toString('base64url');
  const { provider, store, clientNames } = await createProvider({ ...options, issuer, harborClientSecret });
  const tokenRequests: TokenRequest[] = [];
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (
      ctx as unknown as { oidc?: { route?: string; params?: { grant_type?: unknown }; client?: { clientId?: string } } }
    ).oidc;
    if (oidc?.route !== 'token') return;
    const grantType = oidc.params?.grant_type;
    const body = ctx.body as { error?: unknown } | undefined;
    tokenRequests.push({
      grantType: typeof grantType === 'string' ? grantType : undefined,
      clientId: oidc.client?.clientId,
      status: ctx.status,
      error: typeof body?.error === 'string' ? body.error : undefined,
    });
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(interactionRoutes(provider, clientNames));
  app.use(provider.callback());
  server.on('request', app as unknown as http.RequestListener);
  return {
    issuer,
    harborClientSecret,
    tokenRequests,
    revokeUser(username: string) {
      const account = accountByUsername(username);
      if (!account) throw new Error(`unknown sandbox user: ${username}`);
      revokeAccount(store, account.sub);
    },
    close: () => closeServer(server),
  };
}
