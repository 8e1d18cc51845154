import { EidfError, oneLine } from '../core/errors.ts';
import { oneAtATime } from '../core/one-at-a-time.ts';
import type { Clock, Logger, SecretStore } from '../core/ports.ts';
import { DEFAULT_REFRESH_POLICY } from '../core/refresh-policy.ts';
import { refreshTokenKey } from '../core/store-keys.ts';
import type { TokenSet } from '../oidc/types.ts';
import { HeldTokens } from './held-tokens.ts';
import { LoginAttempt, waitOrAbandon } from './login-attempt.ts';
import { revokeAndForget } from './logout-steps.ts';
import { realTimers } from '../platform/timers.ts';
import { RefreshTimer } from './refresh-timer.ts';
import type {
  FinalSave,
  LoginOutcome,
  LoginStart,
  LogoutReport,
  SessionChange,
  SessionDeps,
  SessionEvent,
  SessionOidc,
  SessionState,
  SessionStatus,
} from './types.ts';
import { unsavedRefreshTokenLine } from './types.ts';

/**
 * The agent's OIDC session: device login, token refresh ahead of expiry, restore on start, logout.
 *
 * The refresh token is read from the SecretStore (`refreshTokenKey(issuer, clientId)`) once, on
 * restore; after that the newest one is held in memory and each rotation is written to the store for
 * the next agent. Once the IdP has answered, the rotated token is the only valid one (the old one is
 * consumed), so it and the new tokens are used at once; a failed save never brings back the old
 * token: the save is retried with capped back-off, shown in `status` (`refreshTokenUnsaved`), and
 * tried once more at shutdown (`flushUnsaved`). The only loss left is the agent being killed between
 * the IdP's answer and the save. ID and access tokens live only in memory. One refresh runs at a
 * time; failures back off (capped) and keep the tokens; `invalid_grant` ends the session.
 */
export class SessionManager {
  readonly #oidc: SessionOidc;
  readonly #store: SecretStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timer: RefreshTimer;
  readonly #saveTimer: RefreshTimer;
  readonly #random: () => number;
  readonly #key: string;
  readonly #held: HeldTokens;
  readonly #listeners = new Set<(change: SessionChange) => void>();
  #refreshing: Promise<void> | null = null;
  #login: LoginAttempt | null = null;
  #lastLoginOutcome: LoginOutcome | null = null;
  #epoch = 0; // bumped by login and logout: a refresh begun in an older epoch must not commit
  /** Runs store-changing steps one at a time, in call order. */
  readonly #commit = oneAtATime();

  constructor(deps: SessionDeps) {
    this.#oidc = deps.oidc;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#timer = new RefreshTimer(deps.timers ?? realTimers, deps.clock);
    this.#saveTimer = new RefreshTimer(deps.timers ?? realTimers, deps.clock);
    this.#random = deps.random ?? Math.random;
    this.#held = new HeldTokens(deps.policy ?? DEFAULT_REFRESH_POLICY);
    this.#key = refreshTokenKey(deps.oidc.issuer, deps.oidc.clientId);
  }

  /**
   * Starts a device login, or joins the one in progress (same device code), and returns the prompt
   * as soon as the IdP has issued it. Rejects with IDP_UNREACHABLE / IDP_ERROR if it cannot start.
   */
  async login(): Promise<LoginStart> {
    const current = this.#login;
    if (current && !current.cancelled) {
      current.waiters++;
      await current.authorization;
      return { prompt: current.prompt!, joined: true };
    }
    const attempt = new LoginAttempt(this.#oidc.startDeviceAuthorization());
    this.#login = attempt;
    this.#lastLoginOutcome = null;
    void this.#runLogin(attempt);
    await attempt.authorization;
    return { prompt: attempt.prompt!, joined: false };
  }

  /** One caller of `login()` leaves; the last to leave (or `force`) cancels the login. True if it was cancelled. */
  cancelLogin(options: { force?: boolean } = {}): boolean {
    return this.#login?.leave(options.force ?? false) ?? false;
  }

  /** Resolves with the outcome of the login in progress (or of the last one); `signal` stops waiting only. */
  async waitForLogin(signal?: AbortSignal): Promise<LoginOutcome> {
    if (this.#login) return waitOrAbandon(this.#login.done, signal);
    if (this.#lastLoginOutcome)
      return this.#lastLoginOutcome.ok ? { ok: true, status: this.status() } : this.#lastLoginOutcome;
    if (this.#held.idToken !== null) return { ok: true, status: this.status() };
    return { ok: false, error: new EidfError('NOT_LOGGED_IN', 'no login in progress') };
  }

  /**
   * A valid ID token: at once when the one held is fresh enough, otherwise after the (single, shared)
   * refresh. NOT_LOGGED_IN without a session; the refresh's error while the IdP cannot be used.
   */
  async getIdToken(): Promise<string> {
    const held = this.#held;
    const now = this.#clock.now();
    const fresh = held.usableIdToken(now);
    if (fresh !== null) {
      if (held.refreshDue(now)) void this.#refresh(); // the timer is late (e.g. after suspend): catch up quietly
      return fresh;
    }
    if (!held.session) {
      throw new EidfError(
        'NOT_LOGGED_IN',
        this.#login ? 'a login is in progress; approve it in the browser' : 'not logged in',
      );
    }
    // While backing off, answer from the last failure rather than hit a struggling IdP again.
    if (this.#refreshing || !held.backingOff(now)) await this.#refresh();
    const after = held.usableIdToken(this.#clock.now());
    if (after !== null) return after;
    const reason = held.refreshError ?? held.lastError;
    if (!held.session)
      throw new EidfError('NOT_LOGGED_IN', reason ? `not logged in: ${reason.message}` : 'not logged in', {
        cause: reason,
      });
    throw new EidfError(reason?.code ?? 'IDP_UNREACHABLE', reason?.message ?? 'the ID token could not be refreshed', {
      cause: reason,
    });
  }

  /** On agent start: picks the session up from a stored refresh token (one refresh), asking nobody. */
  async restore(): Promise<SessionStatus> {
    if (!this.#held.session && !this.#login) {
      this.#held.session = true; // tentatively: the refresh reads the store and settles it
      await this.#refresh();
    }
    return this.status();
  }

  /** Revokes the refresh token where the IdP supports it, then wipes memory and store regardless. */
  async logout(): Promise<LogoutReport> {
    const login = this.#login;
    const loginCancelled = this.cancelLogin({ force: true });
    await login?.done;
    await this.#refreshing; // let a rotation land first, so the newest token is the one revoked
    return this.#commit(async () => {
      const wasLoggedIn = this.#held.session;
      this.#epoch++; // a refresh still in flight must not bring the session back
      const newest = this.#held.refreshToken; // may be newer than the stored one
      const report: LogoutReport = {
        wasLoggedIn,
        loginCancelled,
        ...(await revokeAndForget(this.#oidc, this.#store, this.#key, newest)),
      };
      this.#endSession(null);
      this.#logger.info(`session: logged out (revocation: ${report.revoked})`);
      this.#emit('logged-out');
      return report;
    });
  }

  /** A JSON-ready snapshot for `status --json`. Contains no token. */
  status(): SessionStatus {
    const held = this.#held;
    const iso = (ms: number | null | undefined) =>
      ms === null || ms === undefined ? null : new Date(ms).toISOString();
    return {
      state: this.#state(),
      issuer: this.#oidc.issuer,
      subject: held.claims?.sub ?? null,
      username: held.claims?.preferred_username ?? null,
      email: held.claims?.email ?? null,
      idTokenExpiresAt: iso(held.window?.expiresAt),
      nextRefreshAt: held.session ? iso(held.retryAt ?? held.nextRefreshAt) : null,
      refreshTokenExpiresAt: held.session ? iso(held.refreshTokenExpiresAt) : null,
      refreshTokenExpirySlides: held.session && held.refreshTokenExpirySlides,
      lastError: held.lastError ? { code: held.lastError.code, message: oneLine(held.lastError) } : null,
      loginPrompt: this.#login?.prompt ?? null,
      refreshTokenUnsaved: held.unsaved
        ? {
            reason: oneLine(held.unsaved.error),
            since: iso(held.unsaved.since)!,
            nextSaveAt: iso(held.unsaved.retryAt),
          }
        : null,
    };
  }

  /** Calls `listener` after every change of state. Returns the function that unsubscribes it. */
  onChange(listener: (change: SessionChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Agent shutdown: stops the timers and cancels a login. Tokens are left in the store. */
  close(): void {
    this.#timer.disable();
    this.#saveTimer.disable();
    this.cancelLogin({ force: true });
  }

  /**
   * Agent shutdown, before close(): one more try to save a refresh token held only in memory.
   * Null when nothing was waiting to be saved.
   */
  async flushUnsaved(): Promise<FinalSave | null> {
    await this.#refreshing?.catch(() => undefined);
    if (!this.#held.unsaved) return null;
    await this.#commit(() => this.#save());
    const unsaved = this.#held.unsaved as HeldTokens['unsaved'];
    return unsaved ? { saved: false, reason: oneLine(unsaved.error) } : { saved: true };
  }

  #state(): SessionState {
    const held = this.#held;
    if (this.#login) return 'logging-in';
    if (this.#refreshing) return 'refreshing';
    if (held.session && held.refreshError) return 'error';
    if (held.session && held.idToken !== null) return 'logged-in';
    return 'logged-out';
  }

  async #runLogin(attempt: LoginAttempt): Promise<void> {
    let outcome: LoginOutcome;
    try {
      const authorization = await attempt.authorization;
      this.#emit('login-started');
      if (attempt.cancelled) throw new EidfError('LOGIN_CANCELLED', 'the login was cancelled');
      const tokens = await this.#oidc.pollDeviceAuthorization(authorization, attempt.controller.signal);
      await this.#commit(async () => {
        if (attempt.cancelled) throw new EidfError('LOGIN_CANCELLED', 'the login was cancelled');
        this.#epoch++;
        this.#hold(tokens, null);
        await this.#save(); // a failed save keeps the session in memory, and is retried
      });
      this.#logger.info(`session: logged in as ${tokens.claims.preferred_username ?? tokens.claims.sub}`);
      outcome = { ok: true, status: this.status() };
    } catch (err) {
      const error = asEidfError(err);
      this.#held.lastError = error;
      this.#logger.warn(`session: login failed: ${oneLine(error)}`);
      outcome = { ok: false, error };
    }
    if (this.#login === attempt) this.#login = null;
    if (outcome.ok) outcome.status = this.status();
    this.#lastLoginOutcome = outcome;
    this.#emit(outcome.ok ? 'logged-in' : 'login-failed');
    attempt.finish(outcome);
  }

  /**
   * The refresh timer's callback. Due while a refresh is still finishing (its save waiting on a slow
   * keychain, after it armed this timer), the refresh would join that one and be lost, and the
   * session would refresh no more: it runs once that one ends instead, unless that one armed a
   * new time (or the session ended, or was logged out or in anew, meanwhile).
   */
  #refreshDue(): void {
    const running = this.#refreshing;
    if (!running) return void this.#refresh();
    const epoch = this.#epoch;
    void running.then(() => {
      if (epoch === this.#epoch && this.#held.refreshToken !== null && !this.#timer.armed) void this.#refresh();
    });
  }

  #refresh(): Promise<void> {
    if (!this.#refreshing) {
      this.#refreshing = this.#runRefresh();
      this.#emit('refresh-started');
    }
    return this.#refreshing;
  }

  async #runRefresh(): Promise<void> {
    await Promise.resolve(); // let #refresh() record this promise before anything can finish
    const epoch = this.#epoch;
    let event: SessionEvent | null = null;
    let refreshToken: string | null = null;
    try {
      // Memory holds the newest token once there is one; the store is read only on restore.
      refreshToken = this.#held.refreshToken ?? (await this.#store.get(this.#key));
      if (refreshToken === null) {
        if (epoch !== this.#epoch) return;
        const hadTokens = this.#held.idToken !== null;
        this.#endSession(hadTokens ? new EidfError('NOT_LOGGED_IN', 'the stored session is gone; log in again') : null);
        event = 'logged-out';
        return;
      }
      const tokens = await this.#oidc.refreshTokens(refreshToken);
      const answeredAt = performance.now();
      const used = refreshToken;
      const committed = await this.#commit(async () => {
        if (epoch !== this.#epoch) return false; // logged out or in anew meanwhile
        if (this.#held.claims && tokens.claims.sub !== this.#held.claims.sub) {
          throw new EidfError('IDP_ERROR', 'the identity provider refreshed the session for another user'); // OIDC Core §12.2
        }
        // The IdP has consumed `used`: from here on only the new token is valid, so it is held
        // first and then saved; a failed save is retried, never undone.
        const rotated = tokens.refreshToken !== undefined && tokens.refreshToken !== used;
        this.#hold(tokens, used);
        if (rotated || this.#held.unsaved) await this.#save(answeredAt);
        return true;
      });
      if (committed) event = 'refreshed';
    } catch (err) {
      const error = asEidfError(err);
      if (epoch !== this.#epoch) return;
      if (error.code === 'NOT_LOGGED_IN' && refreshToken !== null) {
        await this.#forgetDeadToken(refreshToken, this.#held.unsaved !== null);
        this.#endSession(error);
        this.#logger.warn(`session: ${oneLine(error)}`);
        event = 'logged-out';
      } else {
        const delay = this.#held.failed(error, this.#clock.now(), this.#random());
        this.#timer.arm(this.#held.retryAt!, () => this.#refreshDue());
        this.#logger.warn(
          `session: refresh failed (${error.code}): ${oneLine(error)}; retry ${this.#held.failures} in ${Math.round(delay / 1000)} s`,
        );
        event = 'refresh-failed';
      }
    } finally {
      this.#refreshing = null;
      if (event) this.#emit(event);
    }
  }

  /**
   * Deletes the dead refresh token, unless a new login has replaced it meanwhile. `storeBehind`: the
   * store holds an older token the IdP consumed before `dead` (its save failed), equally dead.
   */
  async #forgetDeadToken(dead: string, storeBehind: boolean): Promise<void> {
    const epoch = this.#epoch;
    await this.#commit(async () => {
      try {
        if ((storeBehind && epoch === this.#epoch) || (await this.#store.get(this.#key)) === dead)
          await this.#store.delete(this.#key);
      } catch (err) {
        this.#logger.warn(`session: could not delete the dead refresh token: ${oneLine(err)}`);
      }
    });
  }

  /**
   * Writes the refresh token held in memory to the store (inside #commit). On failure the token
   * stays in memory, marked unsaved, and a retry is armed with capped back-off. Never throws.
   * `answeredAt` (performance.now() of the IdP's answer) measures the window a SIGKILL would lose.
   */
  async #save(answeredAt?: number): Promise<void> {
    const held = this.#held;
    const token = held.refreshToken;
    if (token === null) return;
    try {
      await this.#store.set(this.#key, token);
    } catch (err) {
      if (held.refreshToken !== token) return; // superseded meanwhile; its own save reports
      const error = asEidfError(err);
      const delay = held.saveFailed(error, this.#clock.now(), this.#random());
      this.#saveTimer.arm(held.unsaved!.retryAt!, () => void this.#commit(() => this.#save()));
      this.#logger.warn(
        `session: ${unsavedRefreshTokenLine({ reason: oneLine(error) })}; save retry ${held.unsaved!.failures} in ${Math.round(delay / 1000)} s`,
      );
      return;
    }
    if (held.refreshToken !== token) return;
    if (held.unsaved)
      this.#logger.info(`session: the refresh token was saved after ${held.unsaved.failures} failed attempt(s)`);
    held.unsaved = null;
    this.#saveTimer.clear();
    if (answeredAt !== undefined)
      this.#logger.debug(
        `session: rotated refresh token saved ${(performance.now() - answeredAt).toFixed(1)} ms after the IdP answered`,
      );
  }

  #hold(tokens: TokenSet, usedRefreshToken: string | null): void {
    const now = this.#clock.now();
    const at = this.#held.hold(tokens, usedRefreshToken, now, this.#random());
    this.#timer.arm(at, () => this.#refreshDue());
    this.#logger.info(
      `session: ID token valid until ${new Date(tokens.idTokenExpiresAt).toISOString()}; next refresh in ${Math.round((at - now) / 1000)} s`,
    );
  }

  #endSession(reason: EidfError | null): void {
    this.#timer.clear();
    this.#saveTimer.clear();
    this.#held.end(reason);
    this.#lastLoginOutcome = null;
  }

  #emit(event: SessionEvent): void {
    const change: SessionChange = { event, status: this.status() };
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#logger.warn(`session: a change listener failed: ${oneLine(err)}`);
      }
    }
  }
}

function asEidfError(err: unknown): EidfError {
  return err instanceof EidfError ? err : new EidfError('INTERNAL', oneLine(err), { cause: err });
}
