/**
 * The whole agent, wired but not listening: services (session, keeper, stored credentials), the
 * express app and its routers. `daemon run` (run-agent.ts) listens on the socket with it; tests
 * drive the same app with supertest or their own socket.
 */
import type express from 'express';
import { Router } from 'express';
import type { Config, Env } from '../../config.ts';
import type { Clock, Fetch, Logger, SecretStore, StoreKind, Timers } from '../../core/ports.ts';
import { keptRobots } from '../../credentials/robot-secrets.ts';
import type { FinalSave } from '../../session/types.ts';
import { serviceRestartNote } from '../service-restart.ts';
import { agentSettings, describeSettings, settingsFingerprint } from '../settings.ts';
import { createAgentApp } from './app.ts';
import { createSessionRouter } from './routes-session.ts';
import { createAgentServices, type AgentServices } from './services.ts';

/** A store as open-store.ts answers it: the store, its kind and why that kind. */
export interface OpenedStore {
  store: SecretStore;
  kind: StoreKind;
  reason: string;
  path?: string;
}

export interface CreateAgentDeps {
  config: Config;
  opened: OpenedStore;
  version: string;
  pid: number;
  clock: Clock;
  fetch: Fetch;
  logger: Logger;
  /** The environment the agent runs with (its proxy variables are among its settings). */
  env?: Env;
  /** Set when a service manager runs the agent: a command must not restart it then. */
  service?: 'systemd';
  random?: () => number;
  /** The session's and the keeper's timers and sleeps (default: real ones). */
  timers?: Timers;
  /** Asked to stop the agent (after the answer is sent); default: nothing. */
  requestShutdown?(reason: string): void;
  /** Called on every request, so the lifecycle can measure idleness. */
  onActivity?(): void;
}

export interface Agent {
  app: express.Express;
  services: AgentServices;
  /** Saves a refresh token held only in memory, once (later calls answer the same outcome). */
  lastSave(): Promise<FinalSave | null>;
  /** True once a command of another version made the systemd service's agent stop to be restarted. */
  restartByService(): boolean;
}

const SYSTEMD_SETTINGS =
  'the agent is the systemd service docker-credential-eidf, started with other settings than this command has; the service reads config.json, ' +
  "not this shell's environment: put the settings there (docker-credential-eidf config set NAME VALUE; proxy variables as " +
  'Environment= lines through systemctl --user edit docker-credential-eidf) or unset them here, ' +
  'then run: systemctl --user restart docker-credential-eidf (docker-credential-eidf doctor shows which differ)';
const MEMORY_SETTINGS =
  'the agent runs with other settings than this command has, and restarting it would lose what it keeps in memory (EIDF_STORE=memory): ' +
  'run this with the same settings, or run docker-credential-eidf daemon stop first (you then log in again)';
const systemdVersion = (agent: string, caller: string) =>
  `the agent is the systemd service docker-credential-eidf, version ${agent}, and restarting it brought back version ${agent}, not ${caller} as this command is: ` +
  "the service's ExecStart runs another installation than this command; point it at this one (./install.sh --systemd from it) or use the service's own command, " +
  'then run: systemctl --user restart docker-credential-eidf';

export function createAgent(deps: CreateAgentDeps): Agent {
  const { config, logger, opened } = deps;
  const services = createAgentServices({
    config,
    store: opened.store,
    fetch: deps.fetch,
    clock: deps.clock,
    logger,
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.timers ? { timers: deps.timers } : {}),
  });
  const settings = agentSettings(config, deps.env ?? {});
  const restartNote =
    deps.service === 'systemd' ? serviceRestartNote(config.paths.runtimeDir, deps.version) : undefined;
  let restartByService = false;
  // A refresh token held only in memory (its save failed) dies with this process: one more try, said aloud.
  let finalSave: Promise<FinalSave | null> | undefined;
  const lastSave = () =>
    (finalSave ??= (async () => {
      const outcome = (await services.session?.flushUnsaved().catch(() => null)) ?? null;
      if (outcome?.saved) logger.info('session: the refresh token held in memory was saved at shutdown');
      if (outcome && !outcome.saved)
        logger.warn(
          `session: the refresh token could not be saved at shutdown: ${outcome.reason}; the session ends with this agent (log in again)`,
        );
      return outcome;
    })());
  const app = createAgentApp({
    version: deps.version,
    settings: settingsFingerprint(settings),
    settingsShown: describeSettings(settings),
    ...(deps.service ? { service: deps.service } : {}),
    keepRunning: async () => {
      if (deps.service === 'systemd') return SYSTEMD_SETTINGS;
      if (opened.kind === 'memory' && (await opened.store.keys()).length > 0) return MEMORY_SETTINGS;
      return undefined;
    },
    keepRunningForVersion: (callerVersion) => {
      if (!restartNote) return undefined;
      if (!restartNote.tryRestart(callerVersion)) return systemdVersion(deps.version, callerVersion);
      restartByService = true;
      return undefined;
    },
    pid: deps.pid,
    clock: deps.clock,
    logger,
    credentials: services.credentials,
    resolveCredential: services.resolveCredential,
    storeCredential: services.storeCredential,
    eraseCredential: services.eraseCredential,
    listCredentials: services.listCredentials,
    settled: () => services.settled(5_000),
    statusDetails: async () => ({
      registry: config.registry,
      oidc:
        services.session && config.oidcIssuer && config.oidcClientId
          ? { issuer: config.oidcIssuer, clientId: config.oidcClientId }
          : null,
      session: services.session?.status() ?? null,
      registrySecret: services.keeper.status(),
      // Robots whose secrets are kept here, for the expiry warning; a store that cannot be read says nothing.
      robots: await keptRobots(opened.store, config.registry).catch(() => []),
      // Where this agent writes its log, and when it exits by itself (null: it stays running; a systemd
      // service never exits when idle).
      lifecycle: {
        log: deps.service === 'systemd' ? 'journalctl --user -u docker-credential-eidf' : config.paths.logFile,
        idleExit:
          config.agentIdleSeconds > 0 && deps.service === undefined
            ? { afterSeconds: config.agentIdleSeconds, when: 'once it holds no session and nothing stored' }
            : null,
      },
    }),
    routers: {
      session: createSessionRouter({
        registry: config.registry,
        session: services.session,
        keeper: services.keeper,
        credentials: services.credentials,
        harbor: services.harbor,
        logger,
        clock: deps.clock,
        store: opened.store,
      }),
      // Loaded on their first request: most agents never serve one.
      doctor: lazyRouter(async () =>
        (await import('./routes-doctor.ts')).createDoctorRouter({
          config,
          fetch: deps.fetch,
          session: services.session,
          keeper: services.keeper,
          settled: () => services.settled(5_000),
        }),
      ),
      robots: lazyRouter(async () =>
        (await import('./routes-robots.ts')).createRobotRouter({
          harbor: services.harbor,
          registry: config.registry,
          idToken: () => services.idToken(),
          store: opened.store,
          clock: deps.clock,
          logger,
        }),
      ),
    },
    store: { kind: opened.kind, reason: opened.reason, ...(opened.path ? { path: opened.path } : {}) },
    requestShutdown: (reason) => deps.requestShutdown?.(reason),
    beforeShutdown: async () => ({ refreshTokenSave: await lastSave() }),
    ...(deps.onActivity ? { onActivity: deps.onActivity } : {}),
  });
  return { app, services, lastSave, restartByService: () => restartByService };
}

/** A router that builds the real one on its first request (a dynamic import), then hands every request to it. */
function lazyRouter(load: () => Promise<Router>): Router {
  const router = Router();
  let loaded: Promise<Router> | undefined;
  router.use((req, res, next) => {
    (loaded ??= load()).then((inner) => inner(req, res, next), next);
  });
  return router;
}
