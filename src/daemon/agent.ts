import { createServer } from 'node:http';
import type { Config } from '../config.ts';
import type { Clock, Fetch, Logger, SecretStore, StoreKind } from '../core/ports.ts';
import { createAgentServices } from './agent-services.ts';
import { createAgentApp } from './app.ts';
import { createDoctorRouter } from './routes-doctor.ts';
import { createRobotRouter } from './routes-robots.ts';
import { createSessionRouter } from './routes-session.ts';
import { prepareRuntimeDir } from './runtime-dir.ts';
import { AgentAlreadyRunning, closeSocketServer, listenOnSocket } from './socket-server.ts';

export interface AgentRunDeps {
  config: Config;
  uid: number;
  pid: number;
  version: string;
  clock: Clock;
  fetch: Fetch;
  logger: Logger;
  openStore(): Promise<{ store: SecretStore; kind: StoreKind; reason: string }>;
}

export interface RunningAgent {
  /** Resolves with the reason once the agent has stopped and removed its socket. */
  stopped: Promise<string>;
  stop(reason: string): void;
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
  const app = createAgentApp({
    version: deps.version,
    pid: deps.pid,
    clock: deps.clock,
    logger,
    credentials: services.credentials,
    resolveCredential: services.resolveCredential,
    onStoredChanged: (registry) => {
      if (registry === config.registry) void services.keeper.recheck();
    },
    settled: () => services.settled(5_000),
    statusDetails: () => ({
      registry: config.registry,
      oidc: services.session ? { issuer: config.oidcIssuer, clientId: config.oidcClientId } : null,
      session: services.session?.status() ?? null,
      registrySecret: services.keeper.status(),
    }),
    routers: {
      session: createSessionRouter({
        registry: config.registry,
        session: services.session,
        keeper: services.keeper,
        credentials: services.credentials,
        harbor: services.harbor,
        logger,
      }),
      doctor: createDoctorRouter({ config, fetch: deps.fetch, session: services.session, keeper: services.keeper, settled: () => services.settled(5_000) }),
      robots: createRobotRouter({
        harbor: services.harbor,
        registry: config.registry,
        idToken: () => services.idToken(),
        store: opened.store,
        clock: deps.clock,
        logger,
      }),
    },
    store: { kind: opened.kind, reason: opened.reason },
    requestShutdown: (reason) => stop(reason),
    onActivity: () => {
      lastActivity = deps.clock.now();
    },
  });
  const server = createServer(app);
  try {
    await listenOnSocket(server, config.paths.socket, deps.pid);
  } catch (err) {
    if (err instanceof AgentAlreadyRunning) return undefined;
    throw err;
  }
  logger.info(`agent ${deps.version} (pid ${deps.pid}) listening; store: ${opened.kind} (${opened.reason})`);
  services.start();

  let idleTimer: NodeJS.Timeout | undefined;
  if (config.agentIdleSeconds > 0) {
    idleTimer = setInterval(() => {
      if (deps.clock.now() - lastActivity >= config.agentIdleSeconds * 1000) stop('idle');
    }, Math.min(config.agentIdleSeconds * 1000, 60_000));
    idleTimer.unref();
  }

  const stopped = new Promise<string>((resolve) => {
    let stopping = false;
    stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      clearInterval(idleTimer);
      services.stop();
      logger.info(`agent stopping: ${reason}`);
      void closeSocketServer(server, config.paths.socket).then(() => resolve(reason));
    };
  });
  return { stopped, stop: (reason) => stop(reason) };
}
