import type { Config } from '../../config.ts';
import { runSetup } from '../../setup/setup.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/** `setup [--undo]`: wire (or unwire) the helper for the configured registry; report on stdout. */
export async function setupCommand(args: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const undo = args.values.undo === true;
  const agent = connectAgent(config, deps);
  const report = await runSetup({
    registry: config.registry,
    undo,
    env: deps.env,
    paths: config.paths,
    cwd: deps.cwd,
    saveCredential: async (registry, username, secret) => {
      await agent.call('POST', '/v1/credentials/store', { registry, Username: username, Secret: secret });
    },
    log: (line) => deps.stdout.write(`${line}\n`),
  });
  if (!report.changed) deps.stdout.write(`nothing to change for ${report.registry}\n`);
  return EXIT.ok;
}
