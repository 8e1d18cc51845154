import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import { runSetup } from '../../setup/setup.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/** `setup [--undo]`: wire (or unwire) the helper for the configured registry; report on stderr. */
export async function setupCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  const undo = args.includes('--undo');
  if (args.some((arg) => arg !== '--undo'))
    throw new EidfError('USAGE', 'usage: docker-credential-eidf setup [--undo]');
  const agent = connectAgent(config, deps);
  const report = await runSetup({
    registry: config.registry,
    undo,
    env: deps.env,
    paths: config.paths,
    cwd: deps.cwd,
    saveCredential: async (registry, username, secret) => {
      await agent.call('POST /v1/credentials/store', { registry, Username: username, Secret: secret });
    },
    log: (line) => deps.stderr.write(`${line}\n`),
  });
  if (!report.changed) deps.stderr.write(`nothing to change for ${report.registry}\n`);
  return EXIT.ok;
}
