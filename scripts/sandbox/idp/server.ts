import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import express from 'express';
import { CLI_CLIENT_ID, HARBOR_CLIENT_ID, createProvider, revokeAccount } from './provider.ts';
import type { IdpSettings } from './provider.ts';
import { interactionRoutes } from './interactions.ts';
import { closeServer, listenLoopback } from '../http-util.ts';
import { accountByUsername } from '../users.ts';

export { CLI_CLIENT_ID, HARBOR_CLIENT_ID };

export interface Idp {
  issuer: string;
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
  const app = express();
  app.disable('x-powered-by');
  app.use(interactionRoutes(provider, clientNames));
  app.use(provider.callback());
  server.on('request', app as unknown as http.RequestListener);
  return {
    issuer,
    harborClientSecret,
    revokeUser(username: string) {
      const account = accountByUsername(username);
      if (!account) throw new Error(`unknown sandbox user: ${username}`);
      revokeAccount(store, account.sub);
    },
    close: () => closeServer(server),
  };
}
