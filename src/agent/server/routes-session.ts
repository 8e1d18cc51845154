/**
 * The agent's endpoints for the login session and the registry secret:
 * POST /login (start or join a device login; answers the prompt), POST /login/wait (held open
 * until the login ends; closing it cancels this waiter's share of the login), POST /logout,
 * POST /secret (store a CLI secret after Harbor accepted it: secret mode), POST /secret/check,
 * POST /secret/rotate; GET|POST /prompt-pause (after a login prompt that `get` started was
 * cancelled or expired, `get` starts no other for a while: docker asks for every registry);
 * POST /web-login/browser (whether this caller should open the browser at Harbor's web login:
 * only the first of several `get`s waiting for the same revival does).
 */

import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { EidfError, oneLine } from '../../core/errors.ts';
import type { Clock, Logger, SecretStore } from '../../core/ports.ts';
import { registryFromStoreKey, robotSecretKey } from '../../core/store-keys.ts';
import type { HarborHttp } from '../../harbor/http.ts';
import type { SecretKeeper } from '../../credentials/secret-keeper.ts';
import { generateCliSecret, readCurrentUser, setCliSecret } from '../../harbor/users.ts';
import type { SessionManager } from '../../session/session-manager.ts';
import { logoutOfRegistry } from '../../credentials/client-verbs.ts';
import type { RegistryCredentials } from '../../credentials/registry-credentials.ts';
import type { OtherSecretsReport, RobotSecretsReport } from '../api.ts';
import { endpoints } from './handle.ts';

export interface SessionRouteDeps {
  registry: string;
  session: SessionManager | undefined;
  keeper: SecretKeeper;
  credentials: RegistryCredentials;
  harbor: HarborHttp;
  logger: Logger;
  /** For the prompt pause (default: the system clock). */
  clock?: Clock;
  /** Where robot secrets are kept (`robotSecretKey`): logout counts them, or removes them when asked. */
  store?: SecretStore;
}

/** How long `get` starts no new login prompt after one was cancelled or expired. */
export const PROMPT_PAUSE_MS = 10 * 60_000;
/** A browser opened at Harbor's web login serves every `get` waiting for this long. */
const WEB_LOGIN_BROWSER_MS = 5 * 60_000;

export function createSessionRouter(deps: SessionRouteDeps): Router {
  const router = Router();
  const on = endpoints(router, '/v1/session');
  const now = () => (deps.clock ?? { now: () => Date.now() }).now();
  let promptPausedUntil: number | null = null;
  let browserOpenedAt: number | null = null;
  const pauseAnswer = () => ({
    until: promptPausedUntil !== null && promptPausedUntil > now() ? new Date(promptPausedUntil).toISOString() : null,
  });
  const requireSession = (): SessionManager => {
    if (!deps.session) {
      throw new EidfError(
        'CONFIG_INVALID',
        'no OIDC login is configured: set EIDF_OIDC_ISSUER and EIDF_OIDC_CLIENT_ID',
      );
    }
    return deps.session;
  };

  on('POST /v1/session/login', () => requireSession().login());

  on('POST /v1/session/login/wait', async (_input, _req, res) => {
    const session = requireSession();
    let finished = false;
    // The CLI closing its connection (Ctrl-C, or the terminal closed) withdraws its interest.
    res.on('close', () => {
      if (!finished) session.cancelLogin();
    });
    const outcome = await session.waitForLogin();
    finished = true;
    if (!outcome.ok) throw outcome.error;
    promptPausedUntil = null;
    const secret = await deps.keeper.recheck();
    return { session: outcome.status, registrySecret: secret };
  });

  on('POST /v1/session/logout', async (input) => {
    const forgetAll = input.forgetAll === true;
    const { session, storedSecretErased } = await logoutOfRegistry(deps);
    const robotSecrets = await robotSecretsAtLogout(deps, forgetAll || input.forgetRobots === true);
    const otherSecrets = forgetAll ? await forgetEverythingElse(deps) : null;
    deps.logger.info(`logged out of ${deps.registry}`);
    return { session, storedSecretErased, robotSecrets, otherSecrets };
  });

  on('POST /v1/session/secret', async (input) => {
    const { username, secret } = input;
    if (typeof username !== 'string' || username === '' || typeof secret !== 'string' || secret === '') {
      throw new EidfError('BAD_INPUT', 'request needs a non-empty "username" and "secret"');
    }
    // Probed before anything is stored: a refused secret must not replace one that works.
    if ((await deps.keeper.probe({ Username: username, Secret: secret })) !== 'valid') {
      throw new EidfError(
        'BAD_INPUT',
        `Harbor refused user ${username} with this secret: check the Harbor username (top right in the web UI) and copy the CLI secret again`,
        { reason: 'secret-refused' },
      );
    }
    await deps.credentials.add(deps.registry, { Username: username, Secret: secret });
    deps.logger.info(`stored the CLI secret of ${username} after Harbor accepted it`);
    promptPausedUntil = null;
    return deps.keeper.recheck();
  });

  on('POST /v1/session/web-login/browser', () => {
    const open = browserOpenedAt === null || now() - browserOpenedAt > WEB_LOGIN_BROWSER_MS;
    if (open) browserOpenedAt = now();
    return { open };
  });

  on('GET /v1/session/prompt-pause', () => pauseAnswer());

  on('POST /v1/session/prompt-pause', () => {
    promptPausedUntil = now() + PROMPT_PAUSE_MS;
    return pauseAnswer();
  });

  on('POST /v1/session/secret/check', async () => {
    const status = await deps.keeper.recheck();
    if (status.state === 'valid') promptPausedUntil = browserOpenedAt = null;
    return status;
  });

  on('POST /v1/session/secret/rotate', async () => {
    const session = requireSession();
    const idToken = await session.getIdToken();
    const user = await readCurrentUser(deps.harbor, idToken);
    const secret = generateCliSecret((n) => randomBytes(n));
    await setCliSecret(deps.harbor, idToken, user.userId, secret);
    deps.logger.info(`rotated the CLI secret of ${user.username}`);
    await deps.credentials.add(deps.registry, { Username: user.username, Secret: secret });
    // The keeper re-reads users/current and probes the new secret.
    return deps.keeper.recheck();
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

/**
 * `logout --forget-all` (install.sh --uninstall --purge): after the registry's own secrets, every
 * other entry in the store, such as what docker stored for other registries through credsStore,
 * robot secrets of other registries, a refresh token of another IdP. Registry credentials go
 * through `credentials` so that its cache forgets them too.
 */
async function forgetEverythingElse(deps: SessionRouteDeps): Promise<OtherSecretsReport> {
  const report: OtherSecretsReport = { removed: 0, error: null };
  if (!deps.store) return report;
  try {
    for (const key of await deps.store.keys()) {
      const registry = registryFromStoreKey(key);
      if (registry !== null) await deps.credentials.delete(registry);
      else await deps.store.delete(key);
      report.removed++;
    }
  } catch (err) {
    report.error = oneLine(err);
  }
  if (report.removed > 0) deps.logger.info(`removed ${report.removed} other secret(s) from the store`);
  return report;
}
