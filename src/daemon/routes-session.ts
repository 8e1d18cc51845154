import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { EidfError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import type { HarborHttp } from '../harbor/http.ts';
import type { SecretKeeper } from '../harbor/secret-keeper.ts';
import { generateCliSecret, readCurrentUser, setCliSecret } from '../harbor/users.ts';
import type { SessionManager } from '../session/session-manager.ts';
import { logoutOfRegistry } from './credential-verbs.ts';
import type { RegistryCredentials } from './registry-credentials.ts';

/**
 * The agent's endpoints for the login session and the registry secret:
 * POST /login (start or join a device login; answers the prompt), POST /login/wait (held open
 * until the login ends; closing it cancels this waiter's share of the login), POST /logout,
 * POST /secret (store a CLI secret by hand: fallback mode), POST /secret/check, POST /secret/rotate.
 */
export interface SessionRouteDeps {
  registry: string;
  session: SessionManager | undefined;
  keeper: SecretKeeper;
  credentials: RegistryCredentials;
  harbor: HarborHttp;
  logger: Logger;
}

export function createSessionRouter(deps: SessionRouteDeps): Router {
  const router = Router();
  const requireSession = (): SessionManager => {
    if (!deps.session) {
      throw new EidfError('CONFIG_INVALID', 'no OIDC login is configured: set EIDF_OIDC_ISSUER and EIDF_OIDC_CLIENT_ID');
    }
    return deps.session;
  };

  router.post('/login', async (_req, res) => {
    res.json(await requireSession().login());
  });

  router.post('/login/wait', async (_req, res) => {
    const session = requireSession();
    let finished = false;
    // The CLI closing its connection (Ctrl-C, or the terminal closed) withdraws its interest.
    res.on('close', () => {
      if (!finished) session.cancelLogin();
    });
    const outcome = await session.waitForLogin();
    finished = true;
    if (!outcome.ok) throw outcome.error;
    const secret = await deps.keeper.recheck();
    if (!res.destroyed) res.json({ session: outcome.status, registrySecret: secret });
  });

  router.post('/logout', async (_req, res) => {
    const { session, storedSecretErased } = await logoutOfRegistry(deps);
    deps.logger.info(`logged out of ${deps.registry}`);
    res.json({ session, storedSecretErased });
  });

  router.post('/secret', async (req, res) => {
    const { username, secret } = (req.body ?? {}) as { username?: unknown; secret?: unknown };
    if (typeof username !== 'string' || username === '' || typeof secret !== 'string' || secret === '') {
      throw new EidfError('BAD_INPUT', 'request needs a non-empty "username" and "secret"');
    }
    await deps.credentials.add(deps.registry, { Username: username, Secret: secret });
    res.json(await deps.keeper.recheck());
  });

  router.post('/secret/check', async (_req, res) => {
    res.json(await deps.keeper.recheck());
  });

  router.post('/secret/rotate', async (_req, res) => {
    const session = requireSession();
    const idToken = await session.getIdToken();
    const user = await readCurrentUser(deps.harbor, idToken);
    const secret = generateCliSecret((n) => randomBytes(n));
    await setCliSecret(deps.harbor, idToken, user.userId, secret);
    deps.logger.info(`rotated the CLI secret of ${user.username}`);
    await deps.credentials.add(deps.registry, { Username: user.username, Secret: secret });
    // The keeper re-reads users/current and probes the new secret.
    res.json(await deps.keeper.recheck());
  });

  return router;
}
