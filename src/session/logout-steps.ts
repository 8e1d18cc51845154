import { oneLine } from '../core/errors.ts';
import type { SecretStore } from '../core/ports.ts';
import type { LogoutReport } from './types.ts';
import type { SessionOidc } from './types.ts';

type Wipe = Pick<LogoutReport, 'revoked' | 'revokeError' | 'storeDeleted' | 'storeError'>;

/**
 * The store-and-IdP half of a logout: revokes the newest refresh token (`held`, from memory, else the
 * one stored under `key`) at the IdP where supported, then deletes it from the store whether or not
 * revocation worked.
 * Never throws; every failure is reported, one line each.
 */
export async function revokeAndForget(
  oidc: Pick<SessionOidc, 'revokeRefreshToken'>,
  store: SecretStore,
  key: string,
  held: string | null = null,
): Promise<Wipe> {
  const report: Wipe = { revoked: 'no-token', revokeError: null, storeDeleted: false, storeError: null };
  let refreshToken: string | null = held;
  if (refreshToken === null) {
    try {
      refreshToken = await store.get(key);
    } catch (err) {
      report.storeError = oneLine(err);
    }
  }
  if (refreshToken !== null) {
    try {
      report.revoked = await oidc.revokeRefreshToken(refreshToken);
    } catch (err) {
      report.revoked = 'failed';
      report.revokeError = oneLine(err);
    }
  }
  try {
    report.storeDeleted = await store.delete(key);
  } catch (err) {
    report.storeError ??= oneLine(err);
  }
  return report;
}
