import type { Config } from '../../config.ts';
import { agentSettings, settingsFingerprint } from '../settings.ts';
import { AgentClient } from './agent-client.ts';
import { restartingMarker } from '../service-restart.ts';
import { callerIdentity } from '../api.ts';
import { spawnDetachedAgent } from './spawn-agent.ts';
import type { CliDeps } from '../../cli/deps.ts';

export interface ConnectOptions {
  /**
   * Send the fingerprint of this command's settings, so an agent started with other ones restarts
   * (default). The protocol verbs do not: docker runs them with its own environment, and two shells
   * with different settings must not restart the agent back and forth on every pull.
   */
  settings?: boolean;
}

/** The client for this user's agent, able to start it on demand. */
export function connectAgent(config: Config, deps: CliDeps, options: ConnectOptions = {}): AgentClient {
  const settings = options.settings === false ? undefined : settingsFingerprint(agentSettings(config, deps.env));
  // INVOCATION_ID marks a systemd unit's processes (daemon.ts): an agent started here is not one.
  const { INVOCATION_ID: _unit, ...env } = deps.env;
  return new AgentClient({
    socketPath: config.paths.socket,
    uid: deps.uid,
    version: callerIdentity(deps.version, settings),
    serviceRestartMarker: restartingMarker(config.paths.runtimeDir),
    spawnAgent: () =>
      deps.startAgent
        ? deps.startAgent(env)
        : spawnDetachedAgent(deps.agentCommand, config.paths.logFile, env, deps.uid),
  });
}
