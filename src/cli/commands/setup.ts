import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { CliDeps } from '../deps.ts';

/** `setup [--undo]`: wired to src/setup in the next commit. */
export async function setupCommand(_args: string[], _deps: CliDeps, _config: Config): Promise<number> {
  throw new EidfError('USAGE', 'setup is not available in this version yet');
}
