import { createServer } from 'node:http';
import type { Config, Env } from '../../config.ts';
import type { Clock, Fetch, Logger, Timers } from '../../core/ports.ts';
import { fullGcLogged } from '../../platform/full-gc.ts';
import { realTimers } from '../../platform/timers.ts';
import { createAgent, type OpenedStore } from './create-agent.ts';
import { QuietTimer, RELEASE_AFTER_QUIET_MS } from './quiet-timer.ts';
import { prepareRuntimeDir } from './runtime-dir.ts';
import { markRestarting, SERVICE_RESTART_EXIT } from '../service-restart.ts';
import { AgentAlreadyRunning, closeSocketServer, listenOnSocket } from './socket-server.ts';

export interface AgentRunDeps {
  config: Config;
  uid: number;
  pid: number;
  version: string;
  clock: Clock;
  fetch: Fetch;
  logger: Logger;
  openStore(): Promise<OpenedStore>;
  /** The environment the agent runs with (its proxy variables are among its settings). */
  env?: Env;
  /** Set when a service manager runs the agent: a command must not restart it then. */
  service?: 'systemd';
  /** The idle exit's and the memory release's timers (quiet-timer.ts); default: Node's. */
  timers?: Timers;
  /** Gives memory back once requests have stopped; default: a full GC (platform/full-gc.ts). */
  releaseMemory?(): void;
}

export interface RunningAgent {
  /** Resolves with the reason once the agent has stopped and removed its socket. */
  stopped: Promise<string>;
  stop(reason: string): void;
  /** The exit status for the process: SERVICE_RESTART_EXIT when systemd must start the agent again (an upgrade). */
  exitCode(): number;
}

/**
 * Runs the agent in this process: private folder, store, handler, socket; stops on request,
 * when idle (config.agentIdleSeconds, and only while it holds no session and nothing stored; never as a
 * systemd service) or when told to. Returns undefined when another agent
 * already serves the socket.
 */
export async function runAgent(deps: AgentRunDeps): Promise<RunningAgent | undefined> {
  const { config, logger } = deps;
  prepareRuntimeDir(config.paths.runtimeDir, deps.uid, config.paths.socket);
  const opened = await deps.openStore();
  let stop: (reason: string) => void = () => {};
  const timers = deps.timers ?? realTimers;
  const memory = new QuietTimer({
    timers,
    clock: deps.clock,
    quietMs: RELEASE_AFTER_QUIET_MS,
    onQuiet: deps.releaseMemory ?? (() => fullGcLogged(logger)),
  });
  // Idle exit (never as a service): once quiet for the period, the agent stops if it holds nothing
  // (no session, nothing stored), and else waits for the next request. An idle agent that keeps a
  // session wakes up for this at most once.
  const idleMs = deps.service === undefined ? config.agentIdleSeconds * 1000 : 0;
  const idle: QuietTimer | undefined =
    idleMs === 0
      ? undefined
      : new QuietTimer({
          timers,
          clock: deps.clock,
          quietMs: idleMs,
          onQuiet: () =>
            void holdsSomething().then((holds) => {
              if (!holds && idle!.quietForMs() >= idleMs) stop('idle');
            }),
        });
  const { app, services, lastSave, restartByService } = createAgent({
    config,
    opened,
    version: deps.version,
    pid: deps.pid,
    clock: deps.clock,
    fetch: deps.fetch,
    logger,
    ...(deps.env ? { env: deps.env } : {}),
    ...(deps.service ? { service: deps.service } : {}),
    requestShutdown: (reason) => stop(reason),
    onActivity: () => {
      idle?.activity();
      memory.activity();
    },
  });
  // Node checks open requests for their timeouts every 30 s by default: once a minute is enough for
  // an agent that is idle nearly always (each check wakes it).
  const server = createServer({ connectionsCheckingInterval: 60_000 }, app);
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
  // Starting (compiling the CLI, restoring the session, the first check) leaves garbage too.
  memory.activity();

  const holdsSomething = async (): Promise<boolean> => {
    if ((services.session?.status().state ?? 'logged-out') !== 'logged-out') return true;
    return (await opened.store.keys().catch(() => ['unknown'])).length > 0;
  };
  idle?.activity();

  const stopped = new Promise<string>((resolve) => {
    let stopping = false;
    stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      idle?.stop();
      memory.stop();
      logger.info(
        `agent stopping: ${reason}${restartByService() ? `; exit status ${SERVICE_RESTART_EXIT} so that systemd starts it again` : ''}`,
      );
      void lastSave()
        .then(() => services.stop())
        .then(() => restartByService() && markRestarting(config.paths.runtimeDir, true))
        .then(() => closeSocketServer(server, config.paths.socket))
        .then(() => resolve(reason));
    };
  });
  return { stopped, stop: (reason) => stop(reason), exitCode: () => (restartByService() ? SERVICE_RESTART_EXIT : 0) };
}
