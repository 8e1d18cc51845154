import type { Clock, Timer, Timers } from '../core/ports.ts';

const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's limit; a longer wait is re-armed when it fires

/**
 * One pending wake-up at an instant on the injected clock. Arming it again replaces the previous
 * one. If the timer fires early (a long wait split at the timer limit), it re-arms itself.
 */
export class RefreshTimer {
  readonly #timers: Timers;
  readonly #clock: Clock;
  #timer: Timer | null = null;
  #disabled = false;

  constructor(timers: Timers, clock: Clock) {
    this.#timers = timers;
    this.#clock = clock;
  }

  /** Calls `due` at (or after) `at`, replacing any earlier arming. */
  arm(at: number, due: () => void): void {
    this.clear();
    if (this.#disabled) return;
    const delay = Math.min(Math.max(0, at - this.#clock.now()), MAX_TIMER_MS);
    this.#timer = this.#timers.setTimer(() => {
      this.#timer = null;
      if (this.#clock.now() < at) this.arm(at, due);
      else due();
    }, delay);
  }

  /** Whether a call is pending. */
  get armed(): boolean {
    return this.#timer !== null;
  }

  clear(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** Clears and refuses further arming (agent shutdown). */
  disable(): void {
    this.#disabled = true;
    this.clear();
  }
}
