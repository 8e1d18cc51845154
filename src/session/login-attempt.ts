import { EidfError } from '../core/errors.ts';
import type { DeviceAuthorization } from '../oidc/types.ts';
import type { LoginOutcome, LoginPrompt } from './types.ts';

/**
 * One device login in progress, shared by every caller that asked for a login meanwhile.
 * Counts its waiters; the last one to leave cancels it.
 */
export class LoginAttempt {
  readonly controller = new AbortController();
  waiters = 1;
  prompt: LoginPrompt | null = null;
  /** Resolves with the device authorization (or rejects if it could not be started). */
  readonly authorization: Promise<DeviceAuthorization>;
  /** Resolves (never rejects) when the login has ended, one way or another. */
  readonly done: Promise<LoginOutcome>;
  readonly #finish: (outcome: LoginOutcome) => void;

  constructor(authorization: Promise<DeviceAuthorization>) {
    this.authorization = authorization.then((da) => {
      this.prompt = toPrompt(da);
      return da;
    });
    let finish!: (outcome: LoginOutcome) => void;
    this.done = new Promise((resolve) => (finish = resolve));
    this.#finish = finish;
  }

  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** One waiter leaves (or all, with `force`). Returns true when that cancelled the login. */
  leave(force: boolean): boolean {
    if (this.cancelled) return false;
    this.waiters = force ? 0 : Math.max(0, this.waiters - 1);
    if (this.waiters > 0) return false;
    this.controller.abort();
    return true;
  }

  finish(outcome: LoginOutcome): void {
    this.#finish(outcome);
  }
}

/** Waits for `done`, or answers LOGIN_CANCELLED as soon as `signal` aborts (the login itself goes on). */
export function waitOrAbandon(done: Promise<LoginOutcome>, signal: AbortSignal | undefined): Promise<LoginOutcome> {
  if (!signal) return done;
  const gaveUp = (): LoginOutcome => ({
    ok: false,
    error: new EidfError('LOGIN_CANCELLED', 'stopped waiting for the login'),
  });
  if (signal.aborted) return Promise.resolve(gaveUp());
  return new Promise((resolve) => {
    const onAbort = () => resolve(gaveUp());
    signal.addEventListener('abort', onAbort, { once: true });
    void done.then((outcome) => {
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    });
  });
}

function toPrompt(da: DeviceAuthorization): LoginPrompt {
  return {
    verification_uri: da.verification_uri,
    verification_uri_complete: da.verification_uri_complete ?? null,
    user_code: da.user_code,
    expires_at: new Date(da.expires_at).toISOString(),
  };
}
