import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import { runSetup } from '../../setup/setup.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

const USAGE = 'usage: docker-credential-eidf setup [--creds-store] | setup --undo [--all]';

/**
 * `setup [--creds-store]` wires the helper for the configured registry (`credsStore`: for every
 * registry, Docker only); `setup --undo [--all]` unwires it (`--all`: every registry setup wired). Report on stderr.
 */
export async function setupCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  const undo = args.includes('--undo');
  const all = args.includes('--all');
  const credsStore = args.includes('--creds-store');
  const known = ['--undo', '--all', '--creds-store'];
  if (args.some((arg) => !known.includes(arg)) || (all && !undo) || (credsStore && undo))
    throw new EidfError('USAGE', USAGE);
  const agent = connectAgent(config, deps);
  const report = await runSetup({
    registry: config.registry,
    undo,
    all,
    credsStore,
    env: deps.env,
    paths: config.paths,
    cwd: deps.cwd,
    saveCredential: async (registry, username, secret) => {
      await agent.call('POST', '/v1/credentials/store', { registry, Username: username, Secret: secret });
    },
    log: (line) => deps.stderr.write(`${line}\n`),
  });
  if (!report.changed) deps.stderr.write(`nothing to change for ${report.registry}\n`);
  return EXIT.ok;
}
