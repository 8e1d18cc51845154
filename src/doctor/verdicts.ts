/**
 * The verdicts of `docker-credential-eidf doctor`, as pure functions of what was observed.
 * Shared by the agent (network, session and registry-secret checks, routes-doctor.ts) and the CLI
 * (local checks). Each check says ok / warn / fail, one line of what was found, and one line of
 * what to do (null when nothing is needed).
 */

import { isLoopbackHost } from '../core/url-policy.ts';
import { oneLine, type EidfError } from '../core/errors.ts';
import type { SecretStatus } from '../credentials/secret-keeper.ts';
import { OIDC_AUTH_MODE, type SystemInfo } from '../harbor/systeminfo.ts';
import { unsavedRefreshTokenLine, type SessionStatus } from '../session/types.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report; the schema of `doctor --json` (fields are only ever added). */
export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  message: string;
  action: string | null;
}

/** `GET /v1/doctor`'s answer. */
export interface DoctorReport {
  checks: DoctorCheck[];
}

export function check(name: string, status: CheckStatus, message: string, action: string | null = null): DoctorCheck {
  return { name, status, message, action };
}

const LOGIN = 'run: docker-credential-eidf login';

/** The discovery URL openid-client asks for `issuer` (OIDC style: appended to the issuer's path). */
export function discoveryUrl(issuer: string): string {
  const url = new URL(issuer);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
  return url.href;
}

/**
 * Judges an IdP's discovery document: its `issuer` must equal EIDF_OIDC_ISSUER exactly (Harbor and
 * openid-client compare it byte for byte), and it must offer the device login over https (http only
 * on loopback, when EIDF_ALLOW_INSECURE_LOOPBACK allows it).
 */
export function judgeDiscovery(issuer: string, document: unknown, allowInsecureLoopback: boolean): DoctorCheck {
  const url = discoveryUrl(issuer);
  const doc = (typeof document === 'object' && document !== null ? document : {}) as Record<string, unknown>;
  if (doc.issuer !== issuer) {
    const found = typeof doc.issuer === 'string' ? doc.issuer : undefined;
    return check(
      'oidc',
      'fail',
      `${url} is for ${found ? `issuer ${found}` : 'no issuer'}, not ${issuer}`,
      found ? `set EIDF_OIDC_ISSUER to ${found} exactly` : 'check EIDF_OIDC_ISSUER',
    );
  }
  const endpoint = doc.device_authorization_endpoint;
  if (typeof endpoint !== 'string' || endpoint === '') {
    return check(
      'oidc',
      'fail',
      `the identity provider at ${issuer} does not offer the device login (no device_authorization_endpoint)`,
      'ask its admins to enable the device authorization grant for the CLI client',
    );
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(endpoint);
  } catch {
    parsed = undefined;
  }
  const allowed =
    parsed?.protocol === 'https:' ||
    (parsed?.protocol === 'http:' && allowInsecureLoopback && isLoopbackHost(parsed.hostname));
  if (!allowed) {
    return check(
      'oidc',
      'fail',
      `the identity provider at ${issuer} lists a device_authorization_endpoint that is not an https:// URL`,
      'ask its admins to fix the discovery document',
    );
  }
  return check('oidc', 'ok', `${issuer}: discovery works and the device login is offered`);
}

/** Judges Harbor's anonymous systeminfo (or why it could not be read): OIDC mode is required. */
export function judgeSystemInfo(registryUrl: string, outcome: SystemInfo | EidfError): DoctorCheck {
  if (!('authMode' in outcome)) {
    if (outcome.code === 'HARBOR_UNREACHABLE') {
      return check(
        'harbor',
        'warn',
        oneLine(outcome),
        'check the network (VPN, proxy); the agent keeps using the last good secret meanwhile',
      );
    }
    return check('harbor', 'fail', oneLine(outcome), 'check EIDF_REGISTRY: it must name the Harbor registry');
  }
  if (outcome.authMode !== OIDC_AUTH_MODE) {
    return check(
      'harbor',
      'fail',
      `Harbor at ${registryUrl} is not in OIDC mode (auth_mode ${outcome.authMode})`,
      'check EIDF_REGISTRY: this helper needs a Harbor that logs people in through OIDC',
    );
  }
  const version = outcome.harborVersion ? `Harbor ${outcome.harborVersion}` : 'Harbor';
  const provider = outcome.oidcProviderName ? ` (${outcome.oidcProviderName})` : '';
  return check('harbor', 'ok', `${version} at ${registryUrl}, OIDC mode${provider}`);
}

/**
 * The OIDC check when no issuer is configured: not a fault, the CLI-secret login is the mode then
 * (the registry-secret check says whether a secret works).
 */
export function judgeNoIssuer(secret: SecretStatus): DoctorCheck {
  if (secret.state === 'valid')
    return check('oidc', 'ok', 'no OIDC issuer configured: CLI-secret mode; the stored secret is kept alive');
  return check(
    'oidc',
    'ok',
    'no OIDC issuer configured: CLI-secret mode',
    'run: docker-credential-eidf login (it asks for your Harbor CLI secret); a device login needs EIDF_OIDC_ISSUER and EIDF_OIDC_CLIENT_ID',
  );
}

/** The OIDC session, from the session manager's status (and whether a stored secret covers for it). */
export function judgeSession(session: SessionStatus, secret: SecretStatus): DoctorCheck {
  const who = session.username ?? session.email ?? session.subject;
  if (session.refreshTokenUnsaved && session.subject !== null) {
    return check(
      'session',
      'warn',
      `logged in${who ? ` as ${who}` : ''}, but ${unsavedRefreshTokenLine(session.refreshTokenUnsaved)}`,
      'free space on (or make writable) the disk of the store, or unlock the keychain: the agent retries the save by itself; `daemon stop` tries once more',
    );
  }
  switch (session.state) {
    case 'logged-in':
    case 'refreshing':
      return check(
        'session',
        'ok',
        `logged in${who ? ` as ${who}` : ''}${session.idTokenExpiresAt ? `; ID token until ${session.idTokenExpiresAt}` : ''}`,
      );
    case 'logging-in': {
      const prompt = session.loginPrompt;
      const where = prompt
        ? `approve it at ${prompt.verification_uri_complete ?? prompt.verification_uri} (code ${prompt.user_code})`
        : 'approve it';
      return check('session', 'warn', 'a login is waiting for approval', `${where}, or ${LOGIN}`);
    }
    case 'error':
      return check(
        'session',
        'warn',
        `the last token refresh failed${session.lastError ? `: ${session.lastError.message}` : ''}; the agent retries`,
        `nothing while the identity provider is down; if this persists, ${LOGIN}`,
      );
    case 'logged-out': {
      const why = session.lastError ? `: ${session.lastError.message}` : '';
      if (secret.state === 'valid')
        return check('session', 'warn', `not logged in${why} (the stored registry secret still works)`, LOGIN);
      return check('session', 'fail', `not logged in${why}`, LOGIN);
    }
  }
}

/** The registry secret, from the keeper's status; the action is the keeper's own line. */
export function judgeSecret(secret: SecretStatus, logFile: string): DoctorCheck {
  const error = secret.lastError?.message;
  const action = secret.action;
  switch (secret.state) {
    case 'valid':
      return check(
        'registry-secret',
        'ok',
        `valid for Harbor user ${secret.username ?? '?'}${secret.modeReason ? ` (${secret.modeReason})` : ''}`,
      );
    case 'needs-web-login':
      return check('registry-secret', 'fail', error ?? 'Harbor refused the registry secret', action);
    case 'not-onboarded':
      return check('registry-secret', 'fail', error ?? 'Harbor does not know this user yet', action);
    case 'no-credential':
      return check('registry-secret', 'fail', 'no registry secret: not logged in, and none stored', action ?? LOGIN);
    case 'unreachable':
      return check('registry-secret', 'warn', `could not be checked: ${error ?? 'Harbor is unreachable'}`, action);
    case 'error':
      // With a secret that worked before, get still answers with it; without one, nothing works.
      return check(
        'registry-secret',
        secret.username ? 'warn' : 'fail',
        `could not be checked: ${error ?? 'unknown error'}`,
        `the agent retries on its own; its log (${logFile}) says more`,
      );
    case 'unknown':
      return check('registry-secret', 'warn', 'not checked yet', 'run doctor again in a moment');
  }
}

const RESTART = 'then run: docker-credential-eidf daemon stop (the next command starts it again)';

/**
 * The agent's secret store, from its health answer (`open-store.ts` reasons): fail when the chosen
 * store is unusable, warn when auto fell back to memory (secrets end with the agent) or the keychain
 * was locked at start.
 */
export function judgeStore(store: { kind: string; reason: string }): DoctorCheck {
  const { kind, reason } = store;
  if (reason.startsWith('unusable:')) {
    const fix =
      kind === 'keychain'
        ? 'make the OS keychain answer (a Secret Service on the session D-Bus) or set EIDF_STORE=file'
        : `fix it or choose another EIDF_STORE`;
    return check(
      'store',
      'fail',
      `the ${kind} store cannot be used: ${reason.slice('unusable:'.length).trim()}`,
      `${fix}, ${RESTART}`,
    );
  }
  if (kind === 'memory' && !reason.startsWith('chosen by')) {
    return check(
      'store',
      'warn',
      `agent memory only (${reason}): secrets are lost when the agent stops`,
      `to keep them, make the OS keychain work or set EIDF_STORE=file (a 0600 file), ${RESTART}`,
    );
  }
  if (kind === 'keychain' && reason.includes('locked')) {
    return check(
      'store',
      'warn',
      `keychain (${reason})`,
      'unlock your keychain (log in to the desktop, or unlock the login keyring)',
    );
  }
  return check('store', 'ok', `${kind} (${reason})`);
}
