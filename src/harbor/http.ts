/**
 * One request to Harbor: bounded in time, no cookies ever (Harbor enforces CSRF only when a
 * session cookie is sent, so a cookie jar would break writes), JSON in and out. Network
 * failures become HARBOR_UNREACHABLE; answers that are not what Harbor sends become HARBOR_ERROR.
 * Messages carry Harbor's own error text, never a credential.
 */

import { EidfError } from '../core/errors.ts';
import type { Fetch } from '../core/ports.ts';

export interface HarborHttp {
  baseUrl: string;
  fetch: Fetch;
  timeoutMs: number;
}

export type HarborAuth = { bearer: string } | { basic: { username: string; password: string } } | undefined;

export interface HarborAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export async function harborRequest(
  http: HarborHttp,
  method: string,
  path: string,
  auth: HarborAuth,
  body?: unknown,
): Promise<HarborAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (auth && 'bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth && 'basic' in auth)
    headers.authorization = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await http.fetch(new URL(path, http.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
      credentials: 'omit',
      signal: AbortSignal.timeout(http.timeoutMs),
    });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${http.timeoutMs} ms` : 'connection failed';
    throw new EidfError('HARBOR_UNREACHABLE', `Harbor at ${http.baseUrl} is unreachable (${why})`, { cause: err });
  }
  const text = await response.text().catch(() => '');
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (response.ok)
        throw new EidfError(
          'HARBOR_ERROR',
          `Harbor answered ${method} ${path} with something that is not JSON (HTTP ${response.status})`,
        );
      parsed = undefined; // an HTML error page from a proxy: the status says enough
    }
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Harbor's error text from `{"errors":[{"code","message"}]}`, or the HTTP status. */
export function harborErrorText(answer: HarborAnswer): string {
  const errors = (answer.body as { errors?: Array<{ code?: unknown; message?: unknown }> } | undefined)?.errors;
  const first = Array.isArray(errors) ? errors[0] : undefined;
  const message = typeof first?.message === 'string' ? first.message.split('\n', 1)[0] : undefined;
  return message ? `HTTP ${answer.status}: ${message}` : `HTTP ${answer.status}`;
}

/** Throws the right EidfError for a non-2xx answer. */
export function failFor(answer: HarborAnswer, what: string): never {
  const text = harborErrorText(answer);
  if (answer.status === 401)
    throw new EidfError('NOT_LOGGED_IN', `Harbor refused the credentials for ${what} (${text})`);
  if (answer.status === 403) throw new EidfError('HARBOR_FORBIDDEN', `Harbor does not allow ${what} (${text})`);
  if (answer.status === 404) throw new EidfError('HARBOR_ERROR', `Harbor found nothing for ${what} (${text})`);
  if (answer.status >= 500) throw new EidfError('HARBOR_UNREACHABLE', `Harbor failed on ${what} (${text})`);
  throw new EidfError('HARBOR_ERROR', `Harbor rejected ${what} (${text})`);
}
