import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import { runAgent } from '../../agent/server/run-agent.ts';
import { createLineLogger } from '../../platform/logger.ts';
import { useProxyFromEnv } from '../../platform/proxy.ts';
import { openStore } from '../../store/open-store.ts';
import { UnusableStore } from '../../store/unusable.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/** `daemon start|stop|run`: the agent's lifecycle, by hand. */
export async function daemonCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  const [action, ...extra] = args;
  if (extra.length > 0 || (action !== 'start' && action !== 'stop' && action !== 'run')) {
    throw new EidfError('USAGE', 'usage: docker-credential-eidf daemon start|stop|run');
  }
  const agent = connectAgent(config, deps);
  if (action === 'start') {
    const health = await agent.call('GET /v1/health');
    deps.stderr.write(`agent ${health.version} running (pid ${health.pid}); socket ${config.paths.socket}\n`);
    return EXIT.ok;
  }
  if (action === 'stop') {
    const answer = await agent.callIfRunning('POST /v1/shutdown');
    deps.stderr.write(answer === undefined ? 'no agent was running\n' : 'agent stopped\n');
    const save = answer?.refreshTokenSave;
    if (save?.saved) deps.stderr.write('the refresh token held in memory was saved\n');
    if (save && !save.saved)
      deps.stderr.write(
        `the refresh token could not be saved: ${save.reason}; the session ended with the agent: log in again\n`,
      );
    return save && !save.saved ? EXIT.error : EXIT.ok;
  }
  return runInForeground(deps, config);
}

async function runInForeground(deps: CliDeps, config: Config): Promise<number> {
  const logger = createLineLogger((line) => deps.stderr.write(line), deps.clock, config.debug);
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
