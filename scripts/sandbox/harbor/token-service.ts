import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Request, Response, Router } from 'express';
import { SignJWT } from 'jose';
import type { TokenSigningKey } from '../registry/keys.ts';
import type { Principal } from './rbac.ts';
import { isSysadmin, repositoryActions } from './rbac.ts';
import { principalOf } from './security.ts';
import type { HarborStore } from './store.ts';
import { ROBOT_PREFIX } from './store.ts';

export const REGISTRY_SERVICE = 'harbor-registry';
export const TOKEN_ISSUER = 'harbor-token-issuer';

export interface ResourceActions {
  type: string;
  name: string;
  actions: string[];
}

/** `repository:demo/app:pull,push` → type, name (between the first and last ':'), actions. */
export function parseScope(scope: string): ResourceActions | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

/** The requested actions cut to what the caller may do (Harbor's filterAccess). */
export function permittedActions(store: HarborStore, principal: Principal, request: ResourceActions): string[] {
  if (request.type === 'registry' && request.name === 'catalog') return isSysadmin(principal) ? request.actions : [];
  if (request.type !== 'repository') return [];
  const slash = request.name.indexOf('/');
  const project = slash > 0 ? store.projectByNameOrId(request.name.slice(0, slash)) : undefined;
  if (!project) return [];
  const allowed = new Set(repositoryActions(principal, project));
  return request.actions.filter((a) => allowed.has(a) || (a === '*' && allowed.has('delete')));
}

function subjectOf(principal: Principal): string {
  if (principal.kind === 'user') return principal.user.username;
  if (principal.kind === 'robot') return ROBOT_PREFIX + principal.robot.name;
  return '';
}

/** Signs a registry token in the form distribution 2.8 accepts: RS256, libtrust `kid`, string `aud`, `exp`. */
export async function signRegistryToken(
  key: TokenSigningKey,
  subject: string,
  access: ResourceActions[],
  ttlSeconds: number,
): Promise<string> {
  const nowS = Math.floor(Date.now() / 1000);
  return new SignJWT({ access })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(subject)
    .setAudience(REGISTRY_SERVICE)
    .setIssuedAt(nowS)
    .setNotBefore(nowS)
    .setExpirationTime(nowS + ttlSeconds)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/** GET /service/token (Harbor's token.Handler; GET is its only method). */
export function tokenServiceRoutes(store: HarborStore, key: TokenSigningKey, ttlSeconds: number): Router {
  const router = express.Router();
  router.get('/service/token', async (req: Request, res: Response) => {
    const service = typeof req.query.service === 'string' ? req.query.service : '';
    if (service !== REGISTRY_SERVICE) {
      res.status(400).type('text/plain').send(`Unable to handle service: ${service}`);
      return;
    }
    const principal = principalOf(res);
    const raw = ([] as unknown[]).concat(req.query.scope ?? []).map(String);
    const scopes = raw.flatMap((s) => s.split(' ')).filter(Boolean);
    if (principal.kind === 'anonymous' && scopes.length === 0) {
      res.status(401).end(); // beego CustomAbort(401, "")
      return;
    }
    const access = scopes
      .map(parseScope)
      .filter((s): s is ResourceActions => s !== undefined)
      .map((s) => ({ ...s, actions: permittedActions(store, principal, s) }));
    const token = await signRegistryToken(key, subjectOf(principal), access, ttlSeconds);
    res.json({
      token,
      access_token: '',
      expires_in: ttlSeconds,
      issued_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  });
  // Harbor registers no POST handler: Docker's OAuth2 "identity token" flow gets a 405.
  router.all('/service/token', (_req: Request, res: Response) => {
    res.status(405).type('text/plain').send('Method Not Allowed');
  });
  return router;
}
