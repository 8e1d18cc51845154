import type { Clock, Timer, Timers } from '../../core/ports.ts';

/** Quiet time after the last request before the agent gives memory back: past a burst, not between the `get`s of one pull. */
export const RELEASE_AFTER_QUIET_MS = 30_000;

export interface MemoryReleaseDeps {
  timers: Timers;
  clock: Clock;
  /** Gives memory back (a full GC: platform/full-gc.ts). */
  release(): void;
  quietMs?: number;
}

/**
 * Gives memory back once requests stop: a burst (1000 concurrent `get`s) leaves V8's heap grown,
 * and V8 shrinks it again only when it collects, which an idle agent with no memory reducer never
 * does. One timer, armed by a request when none is armed; when it fires it re-arms for the rest of
 * the quiet period if a request came since, else releases once and stays unarmed until the next
 * request. No polling: an agent that serves nothing has no timer here.
 */
export class MemoryRelease {
  readonly #deps: MemoryReleaseDeps;
  readonly #quietMs: number;
  #lastRequest = 0;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(deps: MemoryReleaseDeps) {
    this.#deps = deps;
    this.#quietMs = deps.quietMs ?? RELEASE_AFTER_QUIET_MS;
  }

  /** A request came: release once the agent has been quiet for the period. */
  activity(): void {
    this.#lastRequest = this.#deps.clock.now();
    if (this.#timer === undefined) this.#arm(this.#quietMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = this.#deps.timers.setTimer(() => {
      this.#timer = undefined;
      const quiet = this.#deps.clock.now() - this.#lastRequest;
      if (quiet < this.#quietMs) return this.#arm(this.#quietMs - quiet);
      this.#deps.release();
    }, delayMs);
  }
}
