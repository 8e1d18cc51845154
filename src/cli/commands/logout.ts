import type { Config } from '../../config.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/**
 * `logout [--forget-robots | --forget-all]`: revoke the refresh token at the IdP, wipe the session and the
 * registry's stored secret; say how many robot secrets stay kept for the registry, or remove them; with
 * --forget-all, empty the store. Report on stdout.
 */
export async function logoutCommand(args: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const forgetAll = args.values['forget-all'] === true;
  const forgetRobots = forgetAll || args.values['forget-robots'] === true;
  const result = await connectAgent(config, deps).call('POST /v1/session/logout', { forgetRobots, forgetAll });
  const out = (line: string) => deps.stdout.write(`${line}\n`);
  const problem = (line: string) => deps.stderr.write(`${line}\n`);
  const { session } = result;
  if (session) {
    out(session.wasLoggedIn ? `logged out of ${config.registry}` : `no session was active for ${config.registry}`);
    if (session.loginCancelled) out('cancelled the login that was waiting for approval');
    const revocation = {
      revoked: 'the IdP revoked the refresh token',
      unsupported: 'the IdP does not support revocation: the refresh token was only forgotten',
      failed: `could not revoke the refresh token at the IdP (${session.revokeError ?? 'unknown error'}); it was forgotten here`,
      'no-token': null,
    }[session.revoked];
    if (revocation) (session.revoked === 'failed' ? problem : out)(revocation);
    if (session.storeDeleted) out('removed the refresh token from the store');
    if (session.storeError) problem(`could not remove the refresh token from the store: ${session.storeError}`);
  }
  if (result.storedSecretErased) out(`erased the stored registry secret for ${config.registry}`);
  const robots = result.robotSecrets;
  if (robots?.removed)
    out(
      `removed ${robots.removed} robot secret${robots.removed === 1 ? '' : 's'} for ${config.registry} from the store (the robot accounts stay in Harbor until deleted: robot delete)`,
    );
  if (robots?.kept) {
    out(
      `kept ${robots.kept} robot secret${robots.kept === 1 ? '' : 's'} for ${config.registry}: robots are Harbor accounts of their own and still work; logout --forget-robots removes them here`,
    );
  }
  if (robots?.error) problem(`could not ${forgetRobots ? 'remove' : 'count'} the robot secrets: ${robots.error}`);
  const others = result.otherSecrets;
  if (others?.removed)
    out(
      `removed ${others.removed} other secret${others.removed === 1 ? '' : 's'} from the store (credentials docker stored for other registries, robot secrets)`,
    );
  if (others?.error) problem(`could not empty the store: ${others.error}`);
  return session?.storeError || robots?.error || others?.error ? EXIT.error : EXIT.ok;
}
