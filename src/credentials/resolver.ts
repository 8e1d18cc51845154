/**
 * Answers `get`: for the configured registry, the secret the keeper holds (Harbor's copy or the
 * stored one it has checked); for any other registry, or when the keeper has no verdict, what was
 * stored through the protocol. A secret the keeper knows is dead is never handed out.
 * Everything is read from memory (the stored credentials are cached after the first read).
 *
 * A NOT_FOUND carries a `reason` and a one-line hint as its message, which the helper shows on
 * stderr: 'login-required', 'logging-in', 'needs-web-login', 'not-onboarded'.
 */

import type { NotFoundReason } from '../agent/api.ts';
import { EidfError } from '../core/errors.ts';
import type { SecretKeeper } from './secret-keeper.ts';
import { NOT_FOUND_MESSAGE } from '../protocol/protocol.ts';
import type { SessionStatus } from '../session/types.ts';
import type { RegistryCredential } from '../core/ports.ts';
import type { RegistryCredentials } from './registry-credentials.ts';

export interface CredentialResolverDeps {
  registry: string;
  credentials: RegistryCredentials;
  keeper?: SecretKeeper;
  session?: { status(): SessionStatus };
}

export async function resolveCredential(deps: CredentialResolverDeps, registry: string): Promise<RegistryCredential> {
  if (registry !== deps.registry || !deps.keeper) return stored(deps, registry, undefined);
  const fromKeeper = deps.keeper.credential();
  if (fromKeeper) return fromKeeper;
  const action = deps.keeper.status().action;
  switch (deps.keeper.state) {
    case 'needs-web-login':
      throw notFound('needs-web-login', `the registry secret for ${registry} no longer works: ${action}`);
    case 'not-onboarded':
      throw notFound('not-onboarded', `Harbor at ${registry} does not know you yet: ${action}`);
    default:
      return stored(deps, registry, sessionReason(deps, registry));
  }
}

async function stored(
  deps: CredentialResolverDeps,
  registry: string,
  whenMissing: EidfError | undefined,
): Promise<RegistryCredential> {
  const found = await deps.credentials.get(registry);
  if (found) return found;
  throw whenMissing ?? new EidfError('NOT_FOUND', NOT_FOUND_MESSAGE);
}

function sessionReason(deps: CredentialResolverDeps, registry: string): EidfError | undefined {
  const state = deps.session?.status().state;
  if (state === 'logged-out')
    return notFound('login-required', `not logged in to ${registry}: run docker-credential-eidf login`);
  if (state === 'logging-in')
    return notFound('logging-in', `a login to ${registry} is waiting for approval: run docker-credential-eidf login`);
  return undefined;
}

function notFound(reason: NotFoundReason, hint: string): EidfError {
  return new EidfError('NOT_FOUND', hint, { reason });
}
