import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import type { TokenSigningKey } from '../registry/keys.ts';
import { registryProxy } from '../registry/proxy.ts';
import { HarborError, sendError } from './errors.ts';
import type { HarborOidcClient } from './oidc-client.ts';
import { oidcLoginRoutes } from './routes-oidc-login.ts';
import { projectRoutes } from './routes-projects.ts';
import type { RepoCounter } from './routes-projects.ts';
import { robotRoutes } from './routes-robots.ts';
import { systemRoutes } from './routes-system.ts';
import { userRoutes } from './routes-users.ts';
import { csrfMiddleware, securityMiddleware } from './security.ts';
import type { HarborStore } from './store.ts';
import { tokenServiceRoutes } from './token-service.ts';

export interface HarborAppDeps {
  store: HarborStore;
  oidc: HarborOidcClient;
  origin: string;
  signingKey: TokenSigningKey;
  tokenServiceTtl: number;
  /** The registry behind /v2/; without it /v2/ answers 404 (API-only sandboxes). */
  registryUrl?: string;
  repoCounts: RepoCounter;
  log: (line: string) => void;
}

/** Harbor's single origin: /v2/ (proxied to the registry), /service/token, /api/…, /c/oidc/…. */
export function harborApp(deps: HarborAppDeps): Express {
  const { store, oidc, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Request-Id', randomUUID());
    next();
  });
  if (deps.registryUrl) app.use('/v2', registryProxy(deps.registryUrl));
  app.use(csrfMiddleware(store));
  app.use('/api', express.json({ type: () => true }));
  app.use(securityMiddleware({ store, oidc, log }));
  app.use(tokenServiceRoutes(store, deps.signingKey, deps.tokenServiceTtl));
  app.use(systemRoutes(deps.origin));
  app.use(userRoutes(store));
  app.use(projectRoutes(store, deps.repoCounts));
  app.use(robotRoutes(store));
  app.use(oidcLoginRoutes({ store, oidc, origin: deps.origin, log }));
  app.use('/api', (req: Request, res: Response) => {
    sendError(res, 'NOT_FOUND', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`);
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err instanceof HarborError) return sendError(res, err.code, err.message);
    if (err instanceof SyntaxError || (err as { type?: string })?.type === 'entity.parse.failed') {
      return sendError(res, 'BAD_REQUEST', 'the request body is not valid JSON');
    }
    log(`error on ${req.method} ${req.path}: ${err instanceof Error ? err.message : String(err)}`);
    sendError(res, 'UNKNOWN', 'internal server error');
  });
  return app;
}
