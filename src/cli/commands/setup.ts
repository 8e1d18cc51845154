import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import { runSetup } from '../../setup/setup.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/**
 * `setup [--creds-store]` wires the helper for the configured registry (`credsStore`: for every
 * registry, Docker only); `setup --undo [--all]` unwires it (`--all`: every registry setup wired). Report on stdout.
 */
export async function setupCommand(args: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const undo = args.values.undo === true;
  const all = args.values.all === true;
  const credsStore = args.values['creds-store'] === true;
  if (credsStore && undo)
    throw new EidfError('USAGE', '--creds-store does not go with --undo; see: docker-credential-eidf setup --help');
  const agent = connectAgent(config, deps);
  const report = await runSetup({
    registry: config.registry,
    undo,
    all,
    credsStore,
    env: deps.env,
    paths: config.paths,
    cwd: deps.cwd,
    saveCredential: async (registry, credential) => {
      await agent.call('POST /v1/credentials/store', { registry, ...credential });
    },
    log: (line) => deps.stdout.write(`${line}\n`),
  });
  if (!report.changed) deps.stdout.write(`nothing to change for ${report.registry}\n`);
  return EXIT.ok;
}
