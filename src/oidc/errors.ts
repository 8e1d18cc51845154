import { EidfError, oneLine } from '../core/errors.ts';

/** The OIDC operation that failed, as named in error messages. */
export type OidcOperation = 'discovery' | 'device authorization' | 'device login' | 'refresh' | 'revocation';

const TRANSIENT_STATUS = new Set([502, 503, 504]);

/**
 * Turns anything openid-client (or fetch) throws into an EidfError with a stable code and a
 * one-line message, in the spirit of openid-client's own `errorHandler`. Any string in `secrets`
 * (the tokens sent in the request) is masked, should the IdP echo it back in a description.
 */
export function toEidfError(
  err: unknown,
  op: OidcOperation,
  issuer: string,
  secrets: readonly string[] = [],
): EidfError {
  if (err instanceof EidfError) return err;
  const idp = `the identity provider at ${issuer}`;
  const hint = op === 'discovery' ? '; check EIDF_OIDC_ISSUER' : '';
  const fail = (code: EidfError['code'], message: string) =>
    new EidfError(code, mask(message, secrets), { cause: err });
  const e = err as {
    name?: unknown;
    code?: unknown;
    error?: unknown;
    error_description?: unknown;
    status?: unknown;
    cause?: unknown;
    message?: unknown;
  };

  if (e?.name === 'ResponseBodyError' && typeof e.error === 'string') {
    const detail = describe(e.error, e.error_description);
    if (e.error === 'invalid_grant' && op === 'refresh') {
      return fail('NOT_LOGGED_IN', `the session has ended at ${idp} (${detail}); log in again`);
    }
    if (e.error === 'expired_token')
      return fail('LOGIN_EXPIRED', 'the login code expired before it was approved; start the login again');
    if (e.error === 'access_denied') return fail('LOGIN_DENIED', `the login was denied at ${idp}`);
    if (typeof e.status === 'number' && TRANSIENT_STATUS.has(e.status)) {
      return fail('IDP_UNREACHABLE', `${idp} is unavailable (HTTP ${e.status}) during ${op}`);
    }
    return fail('IDP_ERROR', `${op} failed at ${idp}: ${detail}`);
  }

  switch (e?.code) {
    case 'OAUTH_TIMEOUT':
      return fail('IDP_UNREACHABLE', `${idp} did not answer in time (${op})`);
    case 'OAUTH_ABORT':
      return fail('LOGIN_CANCELLED', `${op} was cancelled`);
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM': {
      const status = (e.cause as { status?: unknown } | undefined)?.status;
      if (typeof status === 'number' && TRANSIENT_STATUS.has(status)) {
        return fail('IDP_UNREACHABLE', `${idp} is unavailable (HTTP ${status}) during ${op}`);
      }
      return fail('IDP_ERROR', `${idp} answered the ${op} request with HTTP ${String(status)}${hint}`);
    }
    case 'OAUTH_RESPONSE_IS_NOT_JSON': {
      const type = (e.cause as { headers?: Headers } | undefined)?.headers?.get?.('content-type') ?? 'no content type';
      return fail('IDP_ERROR', `${idp} answered the ${op} request with ${type.split(';')[0]} instead of JSON${hint}`);
    }
    case 'OAUTH_PARSE_ERROR':
      return fail('IDP_ERROR', `${idp} answered the ${op} request with invalid JSON`);
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      if (op === 'discovery') {
        const found = (e.cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer;
        return fail(
          'IDP_ERROR',
          `the discovery document at ${issuer} is for another issuer (${String(found)}); check EIDF_OIDC_ISSUER`,
        );
      }
      break;
    case 'OAUTH_HTTP_REQUEST_FORBIDDEN':
      return fail('IDP_ERROR', `${idp} lists a plain http:// endpoint for ${op}; only https is allowed`);
  }

  // fetch rejects with a bare TypeError ("fetch failed") when it cannot connect at all.
  if (err instanceof TypeError && e.code === undefined) {
    const reason = (e.cause as { code?: unknown } | undefined)?.code;
    return fail(
      'IDP_UNREACHABLE',
      `could not reach ${idp} (${typeof reason === 'string' ? reason : oneLine(err.message)})`,
    );
  }
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return fail('IDP_UNREACHABLE', `${idp} did not answer in time (${op})`);
  }
  const message = typeof e?.message === 'string' ? oneLine(e.message) : String(err);
  return fail('IDP_ERROR', `${op} failed: ${message}`);
}

function describe(error: string, description: unknown): string {
  return typeof description === 'string' && description !== ''
    ? `${error}: ${oneLine(description).slice(0, 200)}`
    : error;
}

function mask(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  return out;
}
