import type { Config } from '../config.ts';
import { AgentClient } from '../daemon/client.ts';
import { spawnDetachedAgent } from '../platform/spawn-agent.ts';
import type { CliDeps } from './deps.ts';

/** The client for this user's agent, able to start it on demand. */
export function connectAgent(config: Config, deps: CliDeps): AgentClient {
  return new AgentClient({
    socketPath: config.paths.socket,
    uid: deps.uid,
    version: deps.version,
    spawnAgent: () => spawnDetachedAgent(deps.agentCommand, config.paths.logFile, { ...deps.env }, deps.uid),
  });
}
