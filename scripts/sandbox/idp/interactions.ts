import express from 'express';
import type { Request, Response, Router } from 'express';
import type Provider from 'oidc-provider';
import { loginPage } from './pages.ts';
import { SANDBOX_PASSWORD, accountByUsername } from '../users.ts';

/**
 * The IdP's own sign-in step (oidc-provider leaves login and consent to the host app).
 * Login checks the sandbox password; consent is granted silently, as a first-party IdP would.
 */
export function interactionRoutes(provider: Provider, clientNames: Record<string, string>): Router {
  const router = express.Router();
  router.get('/interaction/:uid', async (req: Request, res: Response) => {
    const details = await provider.interactionDetails(req, res);
    const clientId = String(details.params.client_id ?? '');
    if (details.prompt.name === 'login') {
      res.type('html').send(loginPage(`/interaction/${details.uid}/login`, clientNames[clientId] ?? clientId));
      return;
    }
    await grantConsent(provider, req, res);
  });

  router.post(
    '/interaction/:uid/login',
    express.urlencoded({ extended: false }),
    async (req: Request, res: Response) => {
      const details = await provider.interactionDetails(req, res);
      const clientId = String(details.params.client_id ?? '');
      const username = String(req.body?.username ?? '').trim();
      const account = accountByUsername(username);
      if (!account || req.body?.password !== SANDBOX_PASSWORD) {
        res
          .status(401)
          .type('html')
          .send(
            loginPage(
              `/interaction/${details.uid}/login`,
              clientNames[clientId] ?? clientId,
              'Wrong username or password.',
              username,
            ),
          );
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.sub } },
        { mergeWithLastSubmission: false },
      );
    },
  );

  return router;
}

async function grantConsent(provider: Provider, req: Request, res: Response): Promise<void> {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (!session) throw new Error('consent without a login session');
  const grant =
    (grantId ? await provider.Grant.find(grantId) : undefined) ??
    new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
  const missingScope = prompt.details.missingOIDCScope;
  if (Array.isArray(missingScope)) grant.addOIDCScope(missingScope.join(' '));
  const missingClaims = prompt.details.missingOIDCClaims;
  if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims.map(String));
  const missingResource = prompt.details.missingResourceScopes;
  if (missingResource && typeof missingResource === 'object') {
    for (const [indicator, scopes] of Object.entries(missingResource)) {
      grant.addResourceScope(indicator, (scopes as string[]).join(' '));
    }
  }
  const savedGrantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { consent: { grantId: savedGrantId } },
    { mergeWithLastSubmission: true },
  );
}
