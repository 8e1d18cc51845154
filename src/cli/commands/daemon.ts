import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import { runAgent } from '../../agent/server/run-agent.ts';
import { createLineLogger } from '../../platform/logger.ts';
import { logRotator } from '../../platform/log-rotation.ts';
import { useProxyFromEnv } from '../../platform/proxy.ts';
import { openStore } from '../../store/open-store.ts';
import { UnusableStore } from '../../store/unusable.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/** `daemon start|stop|status|run`: the agent's lifecycle, by hand. Reports on stdout. */
export async function daemonCommand(args: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const action = args.path[1];
  const agent = connectAgent(config, deps);
  if (action === 'start' || action === 'status') {
    const health =
      action === 'start' ? await agent.call('GET /v1/health') : await agent.callIfRunning('GET /v1/health');
    if (health === undefined) {
      deps.stdout.write(`no agent is running (socket ${config.paths.socket})\n`);
      return EXIT.notRunning;
    }
    deps.stdout.write(`agent ${health.version} running (pid ${health.pid}); socket ${config.paths.socket}\n`);
    return EXIT.ok;
  }
  if (action === 'stop') {
    const answer = await agent.callIfRunning('POST /v1/shutdown');
    deps.stdout.write(answer === undefined ? 'no agent was running\n' : 'agent stopped\n');
    const save = answer?.refreshTokenSave;
    if (save?.saved) deps.stdout.write('the refresh token held in memory was saved\n');
    if (save && !save.saved)
      deps.stderr.write(
        `the refresh token could not be saved: ${save.reason}; the session ended with the agent: log in again\n`,
      );
    return save && !save.saved ? EXIT.error : EXIT.ok;
  }
  return runInForeground(deps, config);
}

async function runInForeground(deps: CliDeps, config: Config): Promise<number> {
  // A spawned agent's stderr is its log file: rotate it by size while the agent runs.
  const fd = (deps.stderr as { fd?: unknown }).fd;
  const rotate = typeof fd === 'number' ? logRotator(fd, config.paths.logFile) : undefined;
  const logger = createLineLogger(
    (line) => {
      rotate?.(Buffer.byteLength(line));
      deps.stderr.write(line);
    },
    deps.clock,
    config.debug,
  );
  useProxyFromEnv(deps.env);
  const running = await runAgent({
    config,
    uid: deps.uid,
    pid: deps.pid,
    version: deps.version,
    clock: deps.clock,
    fetch: deps.fetch,
    logger,
    env: deps.env,
    // systemd sets INVOCATION_ID for the processes of a unit; agents this CLI starts never have it (agent-connection.ts).
    ...(deps.env.INVOCATION_ID ? { service: 'systemd' as const } : {}),
    openStore: async () => {
      try {
        return await openStore(config, { warn: (line) => logger.warn(line) });
      } catch (err) {
        if (!(err instanceof EidfError)) throw err;
        // Under `auto` only the file store (the fallback when there is no keychain) can fail to open.
        const kind = config.store === 'auto' ? 'file' : config.store;
        logger.warn(`the ${kind} store cannot be used: ${err.message}`);
        return { store: new UnusableStore(kind, err), kind, reason: `unusable: ${err.message}` };
      }
    },
  });
  if (!running) {
    deps.stderr.write('another agent is already running for this user\n');
    return EXIT.ok;
  }
  const removeHandler = deps.onTerminate(() => running.stop('signal'));
  await running.stopped;
  removeHandler();
  return running.exitCode();
}
