import type { HarborOidcClient } from './oidc-client.ts';
import { tokenValid } from './oidc-client.ts';
import type { HarborStore, HarborUser } from './store.ts';
import { now } from './store.ts';

export type SecretCheck = { ok: true; user: HarborUser; groups: string[] } | { ok: false; reason: string };

/**
 * Harbor's oidc.VerifySecret (src/pkg/oidc/secret.go): the secret must match, and the token
 * stored at the last web login must still be usable. An expired stored token is refreshed at
 * the IdP and the result persisted; a failed refresh rejects the secret.
 *
 * Like Harbor there is no lock around the refresh: two requests that arrive together after
 * the stored token expired both refresh with the same single-use refresh token, and the IdP
 * then revokes the grant (reuse detection), which kills the secret until the next web login.
 * Callers that keep a secret alive must probe one request at a time.
 */
export async function verifySecret(
  store: HarborStore,
  oidc: HarborOidcClient,
  username: string,
  secret: string,
): Promise<SecretCheck> {
  const user = store.userByName(username);
  if (!user) return { ok: false, reason: `user does not exist, name: ${username}` };
  const row = user.oidc;
  if (!row) return { ok: false, reason: `user is not onboarded as OIDC user, username: ${username}` };
  if (row.secret !== secret) return { ok: false, reason: `secret mismatch, username: ${username}` };

  let token = row.token;
  if (!tokenValid(token)) {
    try {
      token = await oidc.refresh(token);
    } catch (err) {
      return { ok: false, reason: `failed to refresh token, username: ${username}, error: ${errorText(err)}` };
    }
    row.token = token;
    row.updateTime = now();
  }

  // UserInfoFromToken: the stored ID token must verify (signature, iss; expiry and audience are
  // skipped); userinfo is called with the access token and may fail; subjects must agree.
  let local: { sub?: string; groups?: unknown } | undefined;
  if (token.idToken) {
    try {
      local = await oidc.parseIdToken(token.idToken);
    } catch (err) {
      return { ok: false, reason: `failed to verify the secret: ${errorText(err)}` };
    }
  }
  let remote: Record<string, unknown> | undefined;
  try {
    remote = await oidc.userinfo(token.accessToken);
  } catch {
    remote = undefined; // Harbor only logs a warning here
  }
  if (!local && !remote) return { ok: false, reason: 'failed to get userinfo from both remote and ID token' };
  if (local && remote && remote.sub !== local.sub)
    return { ok: false, reason: 'the subject from userinfo does not match the ID token' };
  // Groups come from the stored ID token's claims, else from userinfo.
  return { ok: true, user, groups: groupsClaim(local?.groups ?? remote?.groups) };
}

export function groupsClaim(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'error' in err) return String(err.error);
  return err instanceof Error ? err.message : String(err);
}
