/**
 * What the clients' own verbs mean for the configured registry (every other registry is a plain
 * credential store):
 * - `store` (docker/podman login): the session's own secret coming back (`docker login` with no
 *   username answers from `get`, then stores what it got) is not written anywhere, since the agent
 *   reads it from Harbor; anything else is probed once, stored whatever the verdict (the client has
 *   already decided), and the keeper re-checks, so a different user stored here wins over the
 *   session's user until it is erased. One agent-log line says which, with the probe's verdict.
 * - `erase` (docker/podman logout): ends the session for the registry like `logout` (revoked at the
 *   IdP) and erases the stored secret; robot secrets stay. Idempotent: docker erases several times.
 * - `list`: the stored credentials, plus the user `get` answers for the configured registry.
 */

import { oneLine } from '../core/errors.ts';
import type { Logger, RegistryCredential } from '../core/ports.ts';
import type { SecretKeeper } from './secret-keeper.ts';
import type { SessionManager } from '../session/session-manager.ts';
import type { LogoutReport } from '../session/types.ts';
import type { RegistryCredentials } from './registry-credentials.ts';

export interface CredentialVerbDeps {
  registry: string;
  credentials: RegistryCredentials;
  keeper: SecretKeeper;
  session: SessionManager | undefined;
  logger: Logger;
  /** Bound on waiting for the keeper's re-check after a store (default 5 s). */
  recheckTimeoutMs?: number;
}

export interface RegistryLogout {
  session: LogoutReport | null;
  storedSecretErased: boolean;
}

export async function storeCredential(
  deps: CredentialVerbDeps,
  registry: string,
  credential: RegistryCredential,
): Promise<void> {
  const { logger } = deps;
  if (registry !== deps.registry) {
    await deps.credentials.add(registry, credential);
    logger.info(`stored a credential for ${registry} (user ${credential.Username})`);
    return;
  }
  const held = deps.keeper.credential();
  if (
    deps.keeper.status().mode === 'oidc' &&
    held?.Username === credential.Username &&
    held.Secret === credential.Secret
  ) {
    logger.info(
      `store for ${registry} (user ${credential.Username}): the session's own secret, confirmed by the client; not stored (the agent reads it from Harbor)`,
    );
    return;
  }
  // Through the keeper, so this probe and the keeper's run one at a time (Harbor refreshes its
  // stored token without a lock) and a single 401 is asked again before it counts.
  const verdict = await deps.keeper.probe(credential).then(
    (result) =>
      result === 'valid'
        ? 'Harbor accepts it'
        : 'Harbor refused it (401 twice), stored anyway: the client has already accepted it',
    (err: unknown) => `could not ask Harbor (${oneLine(err)}), stored anyway`,
  );
  await deps.credentials.add(registry, credential);
  const after = await withinTime(deps.keeper.recheck(), deps.recheckTimeoutMs ?? 5_000);
  const now = after
    ? `; registry secret now ${after.state} for ${after.username ?? 'nobody'} (${after.mode ?? 'no mode'}: ${after.modeReason ?? '-'})`
    : '; the re-check is still running';
  logger.info(`stored a credential for ${registry} (user ${credential.Username}); probe: ${verdict}${now}`);
}

export async function eraseCredential(deps: CredentialVerbDeps, registry: string): Promise<void> {
  if (registry !== deps.registry) {
    await deps.credentials.delete(registry);
    deps.logger.info(`erased the credential for ${registry}`);
    return;
  }
  // docker erases two to four times per logout: once everything has ended, there is nothing to redo.
  if (
    (!deps.session || deps.session.status().state === 'logged-out') &&
    (await deps.credentials.get(registry)) === null
  ) {
    deps.logger.info(`erase for ${registry} (client logout): no session and no stored secret; nothing to end`);
    return;
  }
  const { session, storedSecretErased } = await logoutOfRegistry(deps);
  const ended =
    session === null
      ? 'no OIDC session configured'
      : session.wasLoggedIn
        ? `session ended (revocation at the IdP: ${session.revoked})`
        : 'no session was active';
  deps.logger.info(
    `erase for ${registry} (client logout): ${ended}; stored secret ${storedSecretErased ? 'erased' : 'none'}; robot secrets kept`,
  );
}

/** `logout` and a client's logout alike: end the session (revoking at the IdP), erase the stored secret, start the keeper over. */
export async function logoutOfRegistry(
  deps: Pick<CredentialVerbDeps, 'registry' | 'credentials' | 'keeper' | 'session'>,
): Promise<RegistryLogout> {
  const session = deps.session ? await deps.session.logout() : null;
  const storedSecretErased = (await deps.credentials.get(deps.registry)) !== null;
  await deps.credentials.delete(deps.registry);
  deps.keeper.forget();
  await deps.keeper.check(); // settles on 'no-credential', with its hint
  return { session, storedSecretErased };
}

export async function listCredentials(
  deps: Pick<CredentialVerbDeps, 'registry' | 'credentials' | 'keeper'>,
): Promise<Record<string, string>> {
  const listed = await deps.credentials.list();
  const answered = deps.keeper.credential();
  if (answered) listed[deps.registry] = answered.Username;
  return listed;
}

function withinTime<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}
