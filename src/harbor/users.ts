import { EidfError } from '../core/errors.ts';
import { failFor, harborRequest, type HarborHttp } from './http.ts';

/** The Harbor user behind an ID token, with the CLI secret Harbor keeps for them. */
export interface HarborUser {
  userId: number;
  username: string;
  /** `oidc_user_meta.secret`: plaintext CLI secret; absent when Harbor is not in OIDC mode. */
  cliSecret: string | undefined;
}

/**
 * `GET /api/v2.0/users/current` with `Bearer <id_token>`. Harbor answers 401 both when it rejects
 * the token (aud, iss, signature, expiry) and when the user was never onboarded through the web
 * login; the caller tells those apart from what it knows about the token.
 */
export async function readCurrentUser(http: HarborHttp, idToken: string): Promise<HarborUser> {
  const answer = await harborRequest(http, 'GET', '/api/v2.0/users/current', { bearer: idToken });
  if (answer.status === 401) {
    throw new EidfError(
      'NOT_ONBOARDED',
      'Harbor did not accept the login token: the user is not onboarded yet, or the token is not meant for Harbor',
    );
  }
  if (answer.status !== 200) failFor(answer, 'reading the current user');
  const body = answer.body as
    { user_id?: unknown; username?: unknown; oidc_user_meta?: { secret?: unknown } } | undefined;
  if (typeof body?.user_id !== 'number' || typeof body.username !== 'string') {
    throw new EidfError('HARBOR_ERROR', 'Harbor answered users/current without user_id and username');
  }
  const secret = body.oidc_user_meta?.secret;
  return {
    userId: body.user_id,
    username: body.username,
    cliSecret: typeof secret === 'string' && secret !== '' ? secret : undefined,
  };
}

/**
 * `PUT /api/v2.0/users/{id}/cli_secret` with Bearer: sets the user's one CLI secret. Harbor answers
 * an empty 200 and the old secret stops working at once.
 */
export async function setCliSecret(http: HarborHttp, idToken: string, userId: number, secret: string): Promise<void> {
  const answer = await harborRequest(
    http,
    'PUT',
    `/api/v2.0/users/${userId}/cli_secret`,
    { bearer: idToken },
    { secret },
  );
  if (answer.status !== 200) failFor(answer, 'setting the CLI secret');
}

export type ProbeResult = 'valid' | 'invalid';

/**
 * Is `username:secret` a working registry credential? `GET /service/token?service=harbor-registry`
 * without scope: 200 = valid, 401 = dead. As a side effect Harbor refreshes (and saves) its stored
 * OIDC token when it has expired, which is what keeps a CLI secret alive.
 */
export async function probeSecret(http: HarborHttp, username: string, secret: string): Promise<ProbeResult> {
  const answer = await harborRequest(http, 'GET', '/service/token?service=harbor-registry', {
    basic: { username, password: secret },
  });
  if (answer.status === 200 && typeof (answer.body as { token?: unknown } | undefined)?.token === 'string')
    return 'valid';
  if (answer.status === 401) return 'invalid';
  failFor(answer, 'checking the registry secret');
}

/**
 * A secret that meets Harbor's rule (8–128 characters with upper, lower and digit): 40 characters
 * from a 62-letter alphabet, with one of each class forced.
 */
export function generateCliSecret(randomBytes: (n: number) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (;;) {
    const bytes = randomBytes(40);
    // 248 = 4 × 62: rejecting higher bytes keeps every letter equally likely.
    const chars = [...bytes].filter((b) => b < 248).map((b) => alphabet[b % 62]);
    const secret = chars.join('');
    if (secret.length >= 32 && /[A-Z]/.test(secret) && /[a-z]/.test(secret) && /\d/.test(secret)) return secret;
  }
}
