import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { EidfError, oneLine } from '../core/errors.ts';
import type { Logger, SecretStore } from '../core/ports.ts';
import { robotSecretKey } from '../core/store-keys.ts';
import type { HarborHttp } from '../harbor/http.ts';
import type { SecretKeeper } from '../harbor/secret-keeper.ts';
import { generateCliSecret, readCurrentUser, setCliSecret } from '../harbor/users.ts';
import type { SessionManager } from '../session/session-manager.ts';
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
  /** Where robot secrets are kept (`robotSecretKey`): logout counts them, or removes them when asked. */
  store?: SecretStore;
}

/** What logout did with the robot secrets kept for the registry. */
export interface RobotSecretsReport {
  kept: number;
  removed: number;
  /** Why they could not be counted or removed, one line. */
  error: string | null;
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

  router.post('/logout', async (req, res) => {
    const forgetRobots = (req.body as { forgetRobots?: unknown } | undefined)?.forgetRobots === true;
    const session = deps.session ? await deps.session.logout() : null;
    const hadStoredSecret = (await deps.credentials.get(deps.registry)) !== null;
    await deps.credentials.delete(deps.registry);
    deps.keeper.forget();
    await deps.keeper.check(); // settles on 'no-credential', with its hint
    const robotSecrets = await robotSecretsAtLogout(deps, forgetRobots);
    deps.logger.info(`logged out of ${deps.registry}`);
    res.json({ session, storedSecretErased: hadStoredSecret, robotSecrets });
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

/** Robot secrets outlive the login (they are Harbor accounts of their own): counted, or removed with --forget-robots. */
async function robotSecretsAtLogout(deps: SessionRouteDeps, forget: boolean): Promise<RobotSecretsReport> {
  const report: RobotSecretsReport = { kept: 0, removed: 0, error: null };
  if (!deps.store) return report;
  const prefix = robotSecretKey(deps.registry, '');
  try {
    const keys = (await deps.store.keys()).filter((key) => key.startsWith(prefix));
    for (const key of keys) {
      if (forget && (await deps.store.delete(key))) report.removed++;
      else if (!forget) report.kept++;
    }
  } catch (err) {
    report.error = oneLine(err);
  }
  if (report.removed > 0) deps.logger.info(`removed ${report.removed} robot secret(s) for ${deps.registry}`);
  return report;
}
