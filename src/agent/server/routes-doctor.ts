/**
 * `GET /v1/doctor` (mounted under /v1/doctor): the checks that need the network or the agent's
 * state, run with the agent's own fetch, each bounded in time, in parallel:
 * - `oidc`: the issuer's discovery document (reachable, same issuer, device login offered);
 * - `harbor`: anonymous `GET /api/v2.0/systeminfo`, `auth_mode` must be `oidc_auth`;
 * - `session`: the OIDC session's state (when an issuer is configured);
 * - `registry-secret`: the keeper's verdict after one fresh check (the same probe the keep-alive
 *   makes: it reads users/current and asks /service/token; nothing is written).
 * Answers `{checks: DoctorCheck[]}`; the CLI adds the local checks and prints them.
 */

import { Router } from 'express';
import { endpoints } from './handle.ts';
import type { Config } from '../../config.ts';
import { EidfError, oneLine } from '../../core/errors.ts';
import type { Fetch } from '../../core/ports.ts';
import type { SecretStatus } from '../../credentials/secret-keeper.ts';
import { readSystemInfo } from '../../harbor/systeminfo.ts';
import type { SessionStatus } from '../../session/types.ts';
import {
  check,
  discoveryUrl,
  judgeDiscovery,
  judgeNoIssuer,
  judgeSecret,
  judgeSession,
  judgeSystemInfo,
  type DoctorCheck,
  type DoctorReport,
} from '../../doctor/verdicts.ts';

export interface DoctorRouteDeps {
  config: Pick<Config, 'registryUrl' | 'oidcIssuer' | 'oidcClientId' | 'allowInsecureLoopback' | 'paths'>;
  fetch: Fetch;
  session: { status(): SessionStatus } | undefined;
  keeper: { status(): SecretStatus; recheck(): Promise<SecretStatus> };
  /** Awaited (bounded by the caller) first, so a just-started agent reports its restored session. */
  settled?(): Promise<void>;
  /** Upper bound on each network request (default 5 s) and, twice that, on the registry-secret check. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

export function createDoctorRouter(deps: DoctorRouteDeps): Router {
  const router = Router();
  endpoints(router, '/v1/doctor')('GET /v1/doctor', () => runAgentChecks(deps));
  return router;
}

/** Runs the agent's checks; never rejects (a check that throws becomes a fail line). */
export async function runAgentChecks(deps: DoctorRouteDeps): Promise<DoctorReport> {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { config } = deps;
  const secretCheck = (async () => {
    await deps.settled?.();
    return withDeadline(deps.keeper.recheck(), timeoutMs * 2, () => deps.keeper.status());
  })();
  const harbor = readSystemInfo({ baseUrl: config.registryUrl, fetch: deps.fetch, timeoutMs }).then(
    (info) => judgeSystemInfo(config.registryUrl, info),
    (err: unknown) => judgeSystemInfo(config.registryUrl, asEidfError(err)),
  );
  const oidc = config.oidcIssuer ? checkIssuer(deps, config.oidcIssuer, timeoutMs) : undefined;
  const secret = await secretCheck.catch((): SecretStatus => deps.keeper.status());
  const checks: DoctorCheck[] = [oidc ? await oidc : judgeNoIssuer(secret), await harbor];
  if (deps.session) checks.push(judgeSession(deps.session.status(), secret));
  checks.push(judgeSecret(secret, config.paths.logFile));
  return { checks };
}

async function checkIssuer(deps: DoctorRouteDeps, issuer: string, timeoutMs: number): Promise<DoctorCheck> {
  if (!deps.config.oidcClientId) {
    return check(
      'oidc',
      'fail',
      'EIDF_OIDC_ISSUER is set but EIDF_OIDC_CLIENT_ID is not',
      'set EIDF_OIDC_CLIENT_ID to the CLI client id the registry admins give',
    );
  }
  const url = discoveryUrl(issuer);
  let response: Response;
  let text: string;
  try {
    // redirect: 'manual' as openid-client does: a discovery document must be served at its own URL.
    response = await deps.fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    return check(
      'oidc',
      'warn',
      `could not reach the identity provider at ${issuer} (${whyUnreachable(err, timeoutMs)})`,
      'check the network (VPN, proxy); if this persists, check EIDF_OIDC_ISSUER',
    );
  }
  if (response.status >= 500) {
    return check(
      'oidc',
      'warn',
      `the identity provider at ${issuer} is unavailable (HTTP ${response.status} for ${url})`,
      'try again later',
    );
  }
  if (response.status !== 200) {
    return check(
      'oidc',
      'fail',
      `${url} answered HTTP ${response.status}`,
      'check EIDF_OIDC_ISSUER: it must be the issuer exactly as the IdP names it',
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return check(
      'oidc',
      'fail',
      `${url} did not answer JSON`,
      'check EIDF_OIDC_ISSUER: it must be the issuer exactly as the IdP names it',
    );
  }
  return judgeDiscovery(issuer, document, deps.config.allowInsecureLoopback);
}

function whyUnreachable(err: unknown, timeoutMs: number): string {
  if ((err as Error | undefined)?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : oneLine(err);
}

function asEidfError(err: unknown): EidfError {
  return err instanceof EidfError ? err : new EidfError('HARBOR_ERROR', oneLine(err));
}

/** `work`'s result, or `fallback()` once `ms` have passed (the work goes on in the background). */
function withDeadline<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
