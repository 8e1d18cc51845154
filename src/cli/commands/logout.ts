import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { LogoutReport } from '../../session/types.ts';
import { connectAgent } from '../agent-connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';

/** `logout`: revoke the refresh token at the IdP, wipe the session and the registry's stored secret. */
export async function logoutCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  if (args.length > 0) throw new EidfError('USAGE', 'usage: docker-credential-eidf logout');
  const result = await connectAgent(config, deps).call<{ session: LogoutReport | null; storedSecretErased: boolean }>('POST', '/v1/session/logout');
  const out = (line: string) => deps.stderr.write(`${line}\n`);
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
    if (revocation) out(revocation);
    if (session.storeDeleted) out('removed the refresh token from the store');
    if (session.storeError) out(`could not remove the refresh token from the store: ${session.storeError}`);
  }
  if (result.storedSecretErased) out(`erased the stored registry secret for ${config.registry}`);
  return session?.storeError ? EXIT.error : EXIT.ok;
}
