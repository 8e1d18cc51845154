import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Request, Response, Router } from 'express';
import { page, escapeHtml } from '../idp/pages.ts';
import type { HarborOidcClient } from './oidc-client.ts';
import { SESSION_COOKIE, parseCookies } from './security.ts';
import type { HarborStore, WebSession } from './store.ts';
import { now } from './store.ts';

/** Clock leeway for the ID token the callback has just received (see OidcClient.verifyIdToken). */
const CALLBACK_LEEWAY_SECONDS = 5;

export interface OidcLoginDeps {
  store: HarborStore;
  oidc: HarborOidcClient;
  origin: string;
  log: (line: string) => void;
}

function sessionOf(store: HarborStore, req: Request, res: Response): WebSession {
  const sid = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  const existing = sid ? store.sessions.get(sid) : undefined;
  if (existing) return existing;
  const [newSid, session] = store.newSession();
  res.cookie(SESSION_COOKIE, newSid, { httpOnly: true, path: '/', sameSite: 'lax' });
  return session;
}

/**
 * Harbor's browser login (src/core/controllers/oidc.go): /c/oidc/login redirects to the IdP;
 * the callback exchanges the code as the confidential client, onboards the user on the first
 * login (new 32-char CLI secret) and on later logins replaces the stored token, keeping the secret.
 */
export function oidcLoginRoutes(deps: OidcLoginDeps): Router {
  const { store, oidc, log } = deps;
  const router = express.Router();

  router.get('/c/oidc/login', (req: Request, res: Response) => {
    const session = sessionOf(store, req, res);
    session.oidcState = randomBytes(16).toString('base64url');
    const redirect =
      typeof req.query.redirect_url === 'string' && req.query.redirect_url.startsWith('/')
        ? req.query.redirect_url
        : '/';
    session.redirectUrl = redirect;
    res.redirect(302, oidc.authorizationUrl(session.oidcState).href);
  });

  router.get('/c/oidc/callback', async (req: Request, res: Response) => {
    const session = sessionOf(store, req, res);
    const expected = session.oidcState;
    session.oidcState = undefined;
    if (!expected || req.query.state !== expected) {
      res.status(403).type('text/plain').send('State mismatch');
      return;
    }
    if (typeof req.query.error === 'string') {
      res.status(401).type('text/plain').send(`OIDC login failed: ${req.query.error}`);
      return;
    }
    const token = await oidc.exchangeCode(new URL(req.originalUrl, deps.origin), expected);
    const claims = await oidc.verifyIdToken(token.idToken, CALLBACK_LEEWAY_SECONDS);
    const sub = String(claims.sub);
    const iss = String(claims.iss);
    let user = store.userBySubIss(sub, iss);
    if (user?.oidc) {
      user.oidc.token = token;
      user.oidc.updateTime = now();
      log(`web login: ${user.username} (stored token replaced)`);
    } else {
      // Harbor's auto-onboard takes the username from the configured user claim.
      const username = String(claims.preferred_username ?? sub);
      user = store.onboard(
        {
          username,
          email: String(claims.email ?? ''),
          realname: String(claims.name ?? username),
          sub,
          iss,
        },
        token,
      );
      log(`web login: ${user.username} onboarded as user ${user.userId}`);
    }
    session.userId = user.userId;
    session.groups = Array.isArray(claims.groups)
      ? claims.groups.filter((g): g is string => typeof g === 'string')
      : [];
    res.redirect(302, session.redirectUrl ?? '/');
  });

  router.get('/c/log_out', (req: Request, res: Response) => {
    const sid = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (sid) store.sessions.delete(sid);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(200).end();
  });

  // Stand-in for Harbor's portal: says who is signed in.
  router.get('/', (req: Request, res: Response) => {
    const sid = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    const userId = sid ? store.sessions.get(sid)?.userId : undefined;
    const user = userId === undefined ? undefined : store.userById(userId);
    const body = user
      ? `<p id="signed-in">Signed in as <strong>${escapeHtml(user.username)}</strong>.</p>`
      : '<p><a href="/c/oidc/login">Log in via OIDC provider</a></p>';
    res.type('html').send(page('Harbor (EIDF sandbox)', body));
  });

  return router;
}
