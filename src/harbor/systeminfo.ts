import { EidfError } from '../core/errors.ts';
import { failFor, harborRequest, type HarborHttp } from './http.ts';

/** The part of Harbor's anonymous `GET /api/v2.0/systeminfo` answer this product relies on. */
export interface SystemInfo {
  /** `auth_mode`: `oidc_auth` for a Harbor that logs people in through OIDC (`db_auth`, `ldap_auth`, … otherwise). */
  authMode: string;
  /** `harbor_version`, e.g. `v2.11.2-35f09d55`, or null when Harbor does not say. */
  harborVersion: string | null;
  /** `oidc_provider_name` (empty unless OIDC), or null. */
  oidcProviderName: string | null;
}

/** The `auth_mode` of a Harbor in OIDC mode (Harbor's `src/common/const.go`). */
export const OIDC_AUTH_MODE = 'oidc_auth';

/**
 * Reads `GET /api/v2.0/systeminfo` anonymously (no credential is sent: the short form is enough).
 * Rejects with HARBOR_UNREACHABLE (no answer, 5xx) or HARBOR_ERROR (not a Harbor systeminfo answer).
 */
export async function readSystemInfo(http: HarborHttp): Promise<SystemInfo> {
  const answer = await harborRequest(http, 'GET', '/api/v2.0/systeminfo', undefined);
  if (answer.status !== 200) failFor(answer, 'reading systeminfo');
  const body = answer.body as
    { auth_mode?: unknown; harbor_version?: unknown; oidc_provider_name?: unknown } | undefined;
  if (typeof body?.auth_mode !== 'string') {
    throw new EidfError('HARBOR_ERROR', `${http.baseUrl}/api/v2.0/systeminfo has no auth_mode: is this a Harbor?`);
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    authMode: body.auth_mode,
    harborVersion: text(body.harbor_version),
    oidcProviderName: text(body.oidc_provider_name),
  };
}
