import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import { connectAgent } from '../agent-connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

interface Health {
  version: string;
  pid: number;
  uptimeSeconds: number;
  store: { kind: string; reason: string };
}

/** `status [--json]`: the registry, the agent, and where secrets are kept. Starts the agent if needed. */
export async function statusCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  const json = args.includes('--json');
  if (args.some((arg) => arg !== '--json')) throw new EidfError('USAGE', 'usage: docker-credential-eidf status [--json]');
  const health = await connectAgent(config, deps).call<Health>('GET', '/v1/health');
  const status = {
    registry: config.registry,
    store: health.store,
    agent: { pid: health.pid, version: health.version, uptimeSeconds: health.uptimeSeconds, socket: config.paths.socket },
  };
  if (json) {
    deps.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  } else {
    deps.stderr.write(
      [
        `registry:  ${status.registry}`,
        `store:     ${status.store.kind} (${status.store.reason})`,
        `agent:     pid ${status.agent.pid}, version ${status.agent.version}, up ${status.agent.uptimeSeconds}s`,
        '',
      ].join('\n'),
    );
  }
  return EXIT.ok;
}
