/**
 * The agent's stateful parts, built from the configuration and wired together: the OIDC session
 * (when an issuer is configured), the registry-secret keeper, and the stored credentials.
 * Time, network and storage come in; nothing here listens or touches process.*.
 */

import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { Clock, Fetch, Logger, RegistryCredential, SecretStore, Timers } from '../../core/ports.ts';
import type { HarborHttp } from '../../harbor/http.ts';
import { SecretKeeper } from '../../credentials/secret-keeper.ts';
import { createOidcClient, oidcSettingsFromConfig } from '../../oidc/client.ts';
import { SessionManager } from '../../session/session-manager.ts';
import { resolveCredential } from '../../credentials/resolver.ts';
import {
  eraseCredential,
  listCredentials,
  storeCredential,
  type CredentialVerbDeps,
} from '../../credentials/client-verbs.ts';
import { RegistryCredentials } from '../../credentials/registry-credentials.ts';

export interface AgentServices {
  credentials: RegistryCredentials;
  session: SessionManager | undefined;
  keeper: SecretKeeper;
  harbor: HarborHttp;
  resolveCredential: (registry: string) => ReturnType<typeof resolveCredential>;
  /** The protocol's store, erase and list, with the configured registry's rules (credentials/client-verbs.ts). */
  storeCredential(registry: string, credential: RegistryCredential): Promise<void>;
  eraseCredential(registry: string): Promise<void>;
  listCredentials(): Promise<Record<string, string>>;
  /** A fresh ID token for Harbor API calls; NOT_LOGGED_IN (with the hint) without a session. */
  idToken(): Promise<string>;
  /** Restores the session from the store and runs the first secret check. */
  start(): void;
  /** Resolves once start() has settled (or at once if it has), bounded by `timeoutMs`. */
  settled(timeoutMs: number): Promise<void>;
  stop(): void;
}

export interface AgentServiceDeps {
  config: Config;
  store: SecretStore;
  fetch: Fetch;
  clock: Clock;
  logger: Logger;
  random?: () => number;
  /** The session's and the keeper's timers and sleeps (default: real ones). */
  timers?: Timers;
}

export function createAgentServices(deps: AgentServiceDeps): AgentServices {
  const { config, store, clock, logger } = deps;
  const credentials = new RegistryCredentials(store);
  const harbor: HarborHttp = { baseUrl: config.registryUrl, fetch: deps.fetch, timeoutMs: 10_000 };
  const session =
    config.oidcIssuer && config.oidcClientId
      ? new SessionManager({
          oidc: createOidcClient(oidcSettingsFromConfig(config), { fetch: deps.fetch, clock }),
          store,
          clock,
          logger,
          ...(deps.random ? { random: deps.random } : {}),
          ...(deps.timers ? { timers: deps.timers } : {}),
        })
      : undefined;
  const keeper = new SecretKeeper({
    http: harbor,
    webLoginUrl: `${config.registryUrl}/c/oidc/login`,
    ...(session
      ? { session: { isLoggedIn: () => session.status().subject !== null, getIdToken: () => session.getIdToken() } }
      : {}),
    storedCredential: () => credentials.get(config.registry),
    clock,
    logger,
    intervalMs: config.keepAliveSeconds * 1000,
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.timers ? { timers: deps.timers } : {}),
  });
  session?.onChange(({ event }) => {
    if (event === 'logged-in') void keeper.recheck();
    if (event === 'logged-out') {
      // Logout, or the session's refresh token died: start over, so a stored secret is still kept alive.
      keeper.forget();
      void keeper.check();
    }
  });
  const verbs: CredentialVerbDeps = { registry: config.registry, credentials, keeper, session, logger };
  let started: Promise<unknown> = Promise.resolve();
  return {
    credentials,
    session,
    keeper,
    harbor,
    idToken: async () => {
      if (!session)
        throw new EidfError(
          'NOT_LOGGED_IN',
          'this needs an OIDC login, and no issuer is configured (EIDF_OIDC_ISSUER, EIDF_OIDC_CLIENT_ID)',
        );
      if (session.status().subject === null)
        throw new EidfError('NOT_LOGGED_IN', 'not logged in: run docker-credential-eidf login');
      return session.getIdToken();
    },
    resolveCredential: (registry) =>
      resolveCredential({ registry: config.registry, credentials, keeper, ...(session ? { session } : {}) }, registry),
    storeCredential: (registry, credential) => storeCredential(verbs, registry, credential),
    eraseCredential: (registry) => eraseCredential(verbs, registry),
    listCredentials: () => listCredentials(verbs),
    start: () => {
      // Restoring may wait on the IdP: the agent answers meanwhile (get never waits on it).
      const restored = session
        ? session.restore().catch((err: unknown) => logger.warn(`session restore failed: ${String(err)}`))
        : Promise.resolve();
      started = restored.then(() => keeper.check());
    },
    settled: (timeoutMs) =>
      Promise.race([
        started.then(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]),
    stop: () => {
      keeper.stop();
      session?.close();
    },
  };
}
