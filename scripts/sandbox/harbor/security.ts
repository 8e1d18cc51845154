import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { HarborOidcClient } from './oidc-client.ts';
import type { Principal } from './rbac.ts';
import { sendError } from './errors.ts';
import type { HarborStore } from './store.ts';
import { ROBOT_PREFIX, hashSecret } from './store.ts';
import { groupsClaim, verifySecret } from './verify-secret.ts';

export const SESSION_COOKIE = 'sid';
export const CSRF_HEADER = 'X-Harbor-CSRF-Token';

export interface SecurityDeps {
  store: HarborStore;
  oidc: HarborOidcClient;
  log: (line: string) => void;
}

/**
 * The paths where Basic `username:CLI-secret` is even tried (oidcCli.valid in Harbor 2.11).
 * Anywhere else such a request falls through to the OIDC authenticator, which cannot check
 * passwords, and ends up anonymous.
 */
export function cliAllowListed(method: string, path: string): boolean {
  if (path === '/service/token' || path.startsWith('/v2')) return true;
  if (method === 'POST' && path === '/api/v2.0/projects') return true;
  if (method === 'GET') {
    if (['/api/v2.0/projects', '/api/v2.0/systeminfo', '/api/version', '/api/v2.0/labels'].includes(path)) return true;
    if (/^\/api\/v2\.0\/projects\/[^/]+\/repositories(\/[^/]+\/artifacts)?$/.test(path)) return true;
  }
  return (
    method === 'DELETE' &&
    /^\/api\/v2\.0\/projects\/[^/]+\/repositories\/[^/]+\/artifacts\/[^/]+\/tags\/[^/]+$/.test(path)
  );
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function parseBasic(header: string): { username: string; password: string } | undefined {
  if (!/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * gorilla/csrf as Harbor configures it: only requests that carry the session cookie are
 * checked, and then every write needs the X-Harbor-CSRF-Token header — even if it also
 * carries a valid Bearer token. Requests with a session get the token back in that header.
 */
export function csrfMiddleware(store: HarborStore) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const sid = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (sid === undefined) return next();
    const session = store.sessions.get(sid);
    if (['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(req.method)) {
      if (session) res.setHeader(CSRF_HEADER, session.csrfToken);
      return next();
    }
    const token = req.get(CSRF_HEADER);
    if (!token) return sendError(res, 'FORBIDDEN', 'CSRF token not found');
    if (!session || !sameSecret(token, session.csrfToken)) return sendError(res, 'FORBIDDEN', 'CSRF token invalid');
    next();
  };
}

/** Harbor's security generators, in order; the first that recognises the caller wins. */
export async function resolvePrincipal(req: Request, deps: SecurityDeps): Promise<Principal> {
  const { store, oidc, log } = deps;
  const authorization = req.headers.authorization ?? '';
  const basic = parseBasic(authorization);
  const path = req.path;

  // oidcCli: Basic user:CLI-secret, only on the allow-list.
  if (basic && !basic.username.startsWith(ROBOT_PREFIX) && cliAllowListed(req.method, path)) {
    const check = await verifySecret(store, oidc, basic.username, basic.password);
    if (check.ok) return { kind: 'user', user: check.user, via: 'oidc-cli', groups: check.groups };
    log(`oidc-cli: ${check.reason}`);
  }

  // idToken: Bearer ID token on /api… and /service/token only; never onboards anyone.
  const bearer = /^bearer /i.test(authorization) ? authorization.slice(7).trim() : undefined;
  if (bearer && (path.startsWith('/api') || path === '/service/token')) {
    try {
      const claims = await oidc.verifyIdToken(bearer);
      const user = store.userBySubIss(String(claims.sub), String(claims.iss));
      if (user) return { kind: 'user', user, via: 'id-token', groups: groupsClaim(claims.groups) };
      log(`id-token: no onboarded user for this sub/iss`);
    } catch (err) {
      log(`id-token: rejected (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  // robot: Basic robot$…:secret, everywhere.
  if (basic && basic.username.startsWith(ROBOT_PREFIX)) {
    const robot = store.robotByName(basic.username.slice(ROBOT_PREFIX.length));
    const expired = robot && robot.expiresAt !== -1 && robot.expiresAt <= Math.floor(Date.now() / 1000);
    if (robot && !robot.disabled && !expired && sameSecret(hashSecret(basic.password, robot.salt), robot.secretHash)) {
      return { kind: 'robot', robot };
    }
    log(
      `robot: rejected ${robot ? (robot.disabled ? '(disabled)' : expired ? '(expired)' : '(wrong secret)') : '(unknown)'}`,
    );
  }

  // basicAuth: in OIDC mode the authenticator cannot check passwords (ErrNotSupported); the
  // sandbox has no local admin, so this generator never matches.

  // session: the web UI's cookie.
  const sid = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  const webSession = sid ? store.sessions.get(sid) : undefined;
  const sessionUser = webSession?.userId === undefined ? undefined : store.userById(webSession.userId);
  if (sessionUser) return { kind: 'user', user: sessionUser, via: 'session', groups: webSession?.groups ?? [] };

  return { kind: 'anonymous' };
}

/** Express middleware: stores the principal in res.locals.principal. */
export function securityMiddleware(deps: SecurityDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    res.locals.principal = await resolvePrincipal(req, deps);
    next();
  };
}

export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? { kind: 'anonymous' };
}
