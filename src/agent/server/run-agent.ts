import { createServer } from 'node:http';
import { Router } from 'express';
import type { Config, Env } from '../../config.ts';
import type { Clock, Fetch, Logger, SecretStore, StoreKind } from '../../core/ports.ts';
import { agentSettings, describeSettings, settingsFingerprint } from '../settings.ts';
import type { FinalSave } from '../../session/types.ts';
import { createAgentServices } from './services.ts';
import { createAgentApp } from './app.ts';
import { keptRobots } from '../../credentials/robot-secrets.ts';
import { createSessionRouter } from './routes-session.ts';
import { prepareRuntimeDir } from './runtime-dir.ts';
import { markRestarting, SERVICE_RESTART_EXIT, serviceRestartNote } from '../service-restart.ts';
import { AgentAlreadyRunning, closeSocketServer, listenOnSocket } from './socket-server.ts';

export interface AgentRunDeps {
  config: Config;
  uid: number;
  pid: number;
  version: string;
  clock: Clock;
  fetch: Fetch;
  logger: Logger;
  openStore(): Promise<{ store: SecretStore; kind: StoreKind; reason: string; path?: string }>;
  /** The environment the agent runs with (its proxy variables are among its settings). */
  env?: Env;
  /** Set when a service manager runs the agent: a command must not restart it then. */
  service?: 'systemd';
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

export interface RunningAgent {
  /** Resolves with the reason once the agent has stopped and removed its socket. */
  stopped: Promise<string>;
  stop(reason: string): void;
  /** The exit status for the process: SERVICE_RESTART_EXIT when systemd must start the agent again (an upgrade). */
  exitCode(): number;
}

/**
 * Runs the agent in this process: private folder, store, handler, socket; stops on request,
 * on idleness (config.agentIdleSeconds) or when told to. Returns undefined when another agent
 * already serves the socket.
 */
export async function runAgent(deps: AgentRunDeps): Promise<RunningAgent | undefined> {
  const { config, logger } = deps;
  prepareRuntimeDir(config.paths.runtimeDir, deps.uid, config.paths.socket);
  const opened = await deps.openStore();
  let stop: (reason: string) => void = () => {};
  let lastActivity = deps.clock.now();
  const services = createAgentServices({ config, store: opened.store, fetch: deps.fetch, clock: deps.clock, logger });
  const settings = agentSettings(config, deps.env ?? {});
  const restartNote =
    deps.service === 'systemd' ? serviceRestartNote(config.paths.runtimeDir, deps.version) : undefined;
  let restartByService = false;
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
      oidc: services.session ? { issuer: config.oidcIssuer, clientId: config.oidcClientId } : null,
      session: services.session?.status() ?? null,
      registrySecret: services.keeper.status(),
      // Robots whose secrets are kept here, for the expiry warning; a store that cannot be read says nothing.
      robots: await keptRobots(opened.store, config.registry).catch(() => []),
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
    requestShutdown: (reason) => stop(reason),
    beforeShutdown: async () => ({ refreshTokenSave: await lastSave() }),
    onActivity: () => {
      lastActivity = deps.clock.now();
    },
  });
  // Node checks open requests for their timeouts every 30 s by default: once a minute is enough for
  // an agent that is idle nearly always (each check wakes it).
  const server = createServer({ connectionsCheckingInterval: 60_000 }, app);
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
  try {
    await listenOnSocket(server, config.paths.socket, deps.pid);
  } catch (err) {
    if (err instanceof AgentAlreadyRunning) return undefined;
    throw err;
  }
  markRestarting(config.paths.runtimeDir, false);
  logger.info(
    `agent ${deps.version} (pid ${deps.pid}) listening; store: ${opened.kind} (${opened.reason})${deps.service ? `; a ${deps.service} service` : ''}`,
  );
  services.start();

  let idleTimer: NodeJS.Timeout | undefined;
  if (config.agentIdleSeconds > 0) {
    idleTimer = setInterval(
      () => {
        if (deps.clock.now() - lastActivity >= config.agentIdleSeconds * 1000) stop('idle');
      },
      Math.min(config.agentIdleSeconds * 1000, 60_000),
    );
    idleTimer.unref();
  }

  const stopped = new Promise<string>((resolve) => {
    let stopping = false;
    stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      clearInterval(idleTimer);
      logger.info(
        `agent stopping: ${reason}${restartByService ? `; exit status ${SERVICE_RESTART_EXIT} so that systemd starts it again` : ''}`,
      );
      void lastSave()
        .then(() => services.stop())
        .then(() => restartByService && markRestarting(config.paths.runtimeDir, true))
        .then(() => closeSocketServer(server, config.paths.socket))
        .then(() => resolve(reason));
    };
  });
  return { stopped, stop: (reason) => stop(reason), exitCode: () => (restartByService ? SERVICE_RESTART_EXIT : 0) };
}

/** A router made by `load` on its first request (its module is imported then), the same one after. */
function lazyRouter(load: () => Promise<Router>): Router {
  const router = Router();
  let loaded: Promise<Router> | undefined;
  router.use((req, res, next) => {
    (loaded ??= load()).then((inner) => inner(req, res, next), next);
  });
  return router;
}
