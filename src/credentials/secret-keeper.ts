/**
 * Keeps the user's registry secret known and alive.
 *
 * Where the secret comes from (`mode`): with an OIDC session, Harbor's own copy read from
 * users/current with the ID token ('oidc'); without one, or when Harbor refuses the ID token, the
 * secret the user stored once through the helper protocol ('stored-secret').
 * Why it stays alive: each probe (GET /service/token, Basic) makes Harbor refresh the OIDC token
 * it stored at the last web login once that token has expired, and save the result; probing more
 * often than the IdP's refresh-token idle timeout keeps the secret working until the IdP's
 * session limit. Checks run one at a time, on a jittered schedule and when asked.
 * One refusal is not a verdict: docker's own token requests race the probe, and Harbor refreshes
 * its stored token without a lock, so a 401 is asked again after a few seconds; the secret is
 * dead only after two refusals in a row.
 *
 * `credential()` answers from memory only: the helper's `get` never waits for Harbor.
 */

import { EidfError, oneLine, type ErrorCode } from '../core/errors.ts';
import { oneAtATime } from '../core/one-at-a-time.ts';
import type { Clock, Logger, RegistryCredential, Timer, Timers } from '../core/ports.ts';
import { backoffDelay } from '../core/refresh-policy.ts';
import type { HarborHttp } from '../harbor/http.ts';
import { realTimers } from '../platform/timers.ts';
import { probeSecret, readCurrentUser, type HarborUser, type ProbeResult } from '../harbor/users.ts';

export type SecretState =
  'unknown' | 'no-credential' | 'valid' | 'needs-web-login' | 'not-onboarded' | 'unreachable' | 'error';
export type SecretMode = 'oidc' | 'stored-secret';

export interface SecretStatus {
  state: SecretState;
  mode: SecretMode | null;
  modeReason: string | null;
  username: string | null;
  lastCheckAt: string | null;
  lastValidAt: string | null;
  /** Since when this secret has been found working (reset by a refusal or another secret). */
  validSince: string | null;
  /** When Harbor first refused this secret (state needs-web-login), else null. */
  deadSince: string | null;
  nextCheckAt: string | null;
  lastError: { code: ErrorCode; message: string } | null;
  /** What the user should do, one line, or null when nothing is needed. */
  action: string | null;
}

export interface SecretKeeperDeps {
  http: HarborHttp;
  /** `https://<registry>/c/oidc/login`, for hints. */
  webLoginUrl: string;
  /** The OIDC session, when one is configured. */
  session?: { isLoggedIn(): boolean; getIdToken(): Promise<string> };
  /** The secret stored through the protocol for this registry (fallback mode). */
  storedCredential(): Promise<RegistryCredential | null>;
  clock: Clock;
  logger: Logger;
  random?: () => number;
  intervalMs: number;
  /** Wait before asking Harbor again after a first 401 (default 3 s). */
  reprobeDelayMs?: number;
  /** Default: real timers (the check timer unref'd). */
  timers?: Timers;
}

const RETRY_MIN_MS = 5_000;
const REPROBE_DELAY_MS = 3_000;

/** A secret worth probing, and where it came from. */
interface Candidate {
  credential: RegistryCredential;
  mode: SecretMode;
  modeReason: string;
}

export class SecretKeeper {
  readonly #deps: SecretKeeperDeps;
  #state: SecretState = 'unknown';
  #mode: SecretMode | null = null;
  #modeReason: string | null = null;
  #credential: RegistryCredential | null = null;
  #lastCheckAt: number | null = null;
  #lastValidAt: number | null = null;
  #validSince: number | null = null;
  #deadSince: number | null = null;
  /** The secret validSince/deadSince speak about (`user\0secret`, memory only). */
  #sinceOf: string | null = null;
  /** Whose secret Harbor refused, for status (the secret itself is dropped). */
  #deadUser: string | null = null;
  /** Probes (the keeper's and probe()'s) run one at a time: Harbor refreshes without a lock. */
  readonly #oneAtATime = oneAtATime();
  #nextCheckAt: number | null = null;
  #lastError: EidfError | null = null;
  #failures = 0;
  #running: Promise<SecretStatus> | null = null;
  /** Bumped by forget(): a check begun before it must not commit its (stale) verdict. */
  #generation = 0;
  #timer: Timer | null = null;
  #stopped = false;

  constructor(deps: SecretKeeperDeps) {
    this.#deps = deps;
  }

  /** The registry secret to hand to clients, from memory; null unless it is believed to work. */
  credential(): RegistryCredential | null {
    // Only a probe answering 401 says a secret is dead; while Harbor is down or answers garbage,
    // the last secret it accepted is still the best answer.
    return this.#state === 'valid' || this.#state === 'unreachable' || this.#state === 'error'
      ? this.#credential
      : null;
  }

  get state(): SecretState {
    return this.#state;
  }

  /** Checks now (or joins the check in progress), then schedules the next one. */
  check(): Promise<SecretStatus> {
    if (!this.#running) {
      const run: Promise<SecretStatus> = this.#runCheck(this.#generation).finally(() => {
        if (this.#running === run) this.#running = null;
      });
      this.#running = run;
    }
    return this.#running;
  }

  /**
   * A check whose answer reflects everything that happened before this call (a login, a stored
   * secret, a web login): waits out a check already in flight, then runs a new one.
   */
  async recheck(): Promise<SecretStatus> {
    await this.#running;
    return this.check();
  }

  /** Forgets everything (logout, session ended); the next check starts from scratch and ignores any check in flight. */
  forget(): void {
    this.#generation++;
    this.#running = null;
    this.#timer?.cancel();
    this.#timer = null;
    this.#nextCheckAt = null;
    this.#set('unknown', null);
    this.#mode = null;
    this.#modeReason = null;
    this.#lastError = null;
    this.#validSince = null;
    this.#deadSince = null;
    this.#sinceOf = null;
  }

  /**
   * Would Harbor accept `credential`? Probed (twice on a 401) in turn with the keeper's own
   * probes; changes nothing. For a secret about to be stored.
   */
  probe(credential: RegistryCredential): Promise<ProbeResult> {
    return this.#oneAtATime(() => this.#probeTwice(credential));
  }

  /**
   * Probes the credential, and after a 401 once more `reprobeDelayMs` later: 'invalid' only when Harbor
   * refused twice. `onFirstRefusal` learns when the first refusal came.
   */
  async #probeTwice(credential: RegistryCredential, onFirstRefusal: () => void = () => {}): Promise<ProbeResult> {
    const { http } = this.#deps;
    if ((await probeSecret(http, credential.Username, credential.Secret)) === 'valid') return 'valid';
    onFirstRefusal();
    await (this.#deps.timers ?? realTimers).sleep(this.#deps.reprobeDelayMs ?? REPROBE_DELAY_MS);
    return probeSecret(http, credential.Username, credential.Secret);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  status(): SecretStatus {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      state: this.#state,
      mode: this.#mode,
      modeReason: this.#modeReason,
      username: this.#credential?.Username ?? (this.#state === 'needs-web-login' ? this.#deadUser : null),
      lastCheckAt: iso(this.#lastCheckAt),
      lastValidAt: iso(this.#lastValidAt),
      validSince: iso(this.#validSince),
      deadSince: iso(this.#deadSince),
      nextCheckAt: iso(this.#nextCheckAt),
      lastError: this.#lastError ? { code: this.#lastError.code, message: this.#lastError.message } : null,
      action: this.#action(),
    };
  }

  async #runCheck(generation: number): Promise<SecretStatus> {
    const { logger } = this.#deps;
    let outcome:
      { candidate: Candidate | null; verdict: ProbeResult | null; firstRefusalAt: number | null } | { error: unknown };
    try {
      const candidate = await this.#candidate();
      let firstRefusalAt: number | null = null;
      const verdict =
        candidate === null
          ? null
          : await this.#oneAtATime(() =>
              this.#probeTwice(candidate.credential, () => {
                firstRefusalAt = this.#deps.clock.now();
                logger.info(
                  'Harbor refused the registry secret once; asking again shortly (it may have been refreshing its session)',
                );
              }),
            );
      outcome = { candidate, verdict, firstRefusalAt };
    } catch (err) {
      outcome = { error: err };
    }
    if (generation !== this.#generation) return this.status(); // forgotten meanwhile: a newer check decides
    try {
      if ('error' in outcome) throw outcome.error;
      const { candidate, verdict, firstRefusalAt } = outcome;
      if (candidate === null) {
        this.#set('no-credential', null);
        this.#validSince = this.#deadSince = null;
        this.#sinceOf = null;
      } else {
        this.#mode = candidate.mode;
        this.#modeReason = candidate.modeReason;
        const now = this.#deps.clock.now();
        const key = `${candidate.credential.Username}\0${candidate.credential.Secret}`;
        if (key !== this.#sinceOf) {
          this.#validSince = this.#deadSince = null;
          this.#sinceOf = key;
        }
        if (verdict === 'valid') {
          this.#set('valid', candidate.credential);
          this.#lastValidAt = now;
          this.#validSince ??= now;
          this.#deadSince = null;
        } else {
          // Never hand out a secret Harbor has just refused (twice).
          this.#set('needs-web-login', null);
          this.#lastError = new EidfError(
            'NEEDS_WEB_LOGIN',
            'Harbor refused the registry secret twice: its stored OIDC session has ended',
          );
          this.#validSince = null;
          this.#deadSince ??= firstRefusalAt ?? now;
          // The username stays known (for status and the web login), the secret is not handed out.
          this.#deadUser = candidate.credential.Username;
        }
      }
      this.#failures = 0;
      if (this.#state !== 'needs-web-login') this.#lastError = null;
    } catch (err) {
      this.#failures++;
      this.#lastError = err instanceof EidfError ? err : new EidfError('HARBOR_ERROR', oneLine(err));
      if (this.#lastError.code === 'NOT_ONBOARDED') this.#set('not-onboarded', null);
      else if (this.#lastError.code === 'HARBOR_UNREACHABLE' || this.#lastError.code === 'IDP_UNREACHABLE')
        this.#set('unreachable', this.#credential);
      else this.#set('error', this.#credential);
      logger.warn(`registry secret check failed: ${this.#lastError.message}`);
    } finally {
      this.#lastCheckAt = this.#deps.clock.now();
      this.#arm(this.#nextDelay());
    }
    return this.status();
  }

  /** The secret to probe: Harbor's copy via the ID token, else the stored one. */
  async #candidate(): Promise<Candidate | null> {
    const { session } = this.#deps;
    if (session?.isLoggedIn()) {
      try {
        const user = await this.#currentUser(session);
        if (!user.cliSecret) throw new EidfError('HARBOR_ERROR', 'Harbor returned no CLI secret: is it in OIDC mode?');
        // An explicit store for another user (docker login -u bob) wins until it is erased; a store
        // that cannot be read (locked) has nothing usable to win with.
        const chosen = await this.#deps.storedCredential().catch(() => null);
        if (chosen && chosen.Username !== user.username) {
          return {
            credential: chosen,
            mode: 'stored-secret',
            modeReason: `stored for ${chosen.Username} (docker login -u ${chosen.Username}); it wins over the session's user ${user.username} until erased (docker logout)`,
          };
        }
        return {
          credential: { Username: user.username, Secret: user.cliSecret },
          mode: 'oidc',
          modeReason: 'read from Harbor with the OIDC session',
        };
      } catch (err) {
        if (!(err instanceof EidfError) || err.code !== 'NOT_ONBOARDED') throw err;
        const stored = await this.#deps.storedCredential();
        if (!stored) throw err;
        return {
          credential: stored,
          mode: 'stored-secret',
          modeReason: 'Harbor refused the ID token (401), so the stored secret is used',
        };
      }
    }
    const stored = await this.#deps.storedCredential();
    if (!stored) return null;
    const modeReason = session
      ? 'not logged in: keeping the stored secret alive'
      : 'no OIDC issuer configured: keeping the stored secret alive';
    return { credential: stored, mode: 'stored-secret', modeReason };
  }

  /**
   * users/current with the session's ID token. The token can expire between the session handing it
   * out and Harbor reading it: the agent was paused (SIGSTOP, a suspended laptop) or Harbor was slow.
   * Harbor's 401 then says nothing about the user, so it is asked once more with the token the session
   * gives now (refreshed first, or after the refresh in flight, when the old one has expired). The
   * same token again means the session still holds it as fresh: that 401 stands.
   */
  async #currentUser(session: NonNullable<SecretKeeperDeps['session']>): Promise<HarborUser> {
    const used = await session.getIdToken();
    try {
      return await readCurrentUser(this.#deps.http, used);
    } catch (err) {
      if (!(err instanceof EidfError) || err.code !== 'NOT_ONBOARDED') throw err;
      const fresh = await session.getIdToken();
      if (fresh === used) throw err;
      this.#deps.logger.info('Harbor did not accept an ID token that has been renewed since; asking with the new one');
      return readCurrentUser(this.#deps.http, fresh);
    }
  }

  #set(state: SecretState, credential: RegistryCredential | null): void {
    this.#state = state;
    this.#credential = credential;
  }

  #nextDelay(): number {
    const random = this.#deps.random ?? Math.random;
    const interval = this.#deps.intervalMs;
    if (this.#state === 'unreachable' || this.#state === 'error') {
      const policy = { backoffBaseMs: RETRY_MIN_MS, backoffCapMs: interval, backoffJitterFraction: 0.2 };
      return backoffDelay(this.#failures, random(), policy);
    }
    // Jitter spreads many agents' probes; checks stay well inside the interval.
    return interval * (0.9 + 0.1 * random());
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#nextCheckAt = this.#deps.clock.now() + delayMs;
    this.#timer = (this.#deps.timers ?? realTimers).setTimer(() => void this.check(), delayMs);
  }

  #action(): string | null {
    const web = this.#deps.webLoginUrl;
    switch (this.#state) {
      case 'valid':
      case 'unknown':
        return null;
      case 'unreachable':
        return 'none for now: the registry is unreachable; the last good secret is still used';
      case 'needs-web-login':
        return `run: docker-credential-eidf login --web (or log in at ${web} in a browser), then try again`;
      case 'not-onboarded':
        return `log in once at ${web} so Harbor knows you; if that does not help, store your CLI secret with: docker-credential-eidf login --secret-stdin --username <harbor user>`;
      case 'no-credential':
        return 'run: docker-credential-eidf login';
      case 'error':
        return 'see lastError; the agent retries on its own';
    }
  }
}
