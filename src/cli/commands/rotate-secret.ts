import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/**
 * `rotate-secret --yes`: sets a new CLI secret in Harbor (never done on the agent's own initiative:
 * every other copy of the old secret stops working at once).
 */
export async function rotateSecretCommand(args: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  deps.stderr.write(
    `warning: the old CLI secret for ${config.registry} stops working at once, on every machine and in every pull secret that holds it\n`,
  );
  if (args.values.yes !== true) throw new EidfError('USAGE', 'run again with --yes to rotate');
  const status = await connectAgent(config, deps).call('POST /v1/session/secret/rotate');
  deps.stdout.write(
    `new CLI secret set and stored; registry secret: ${status.state}${status.action ? `: ${status.action}` : ''}\n`,
  );
  return status.state === 'valid' ? EXIT.ok : EXIT.error;
}
