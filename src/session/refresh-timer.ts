import type { Clock } from '../core/ports.ts';
import type { Scheduler } from './types.ts';

const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's limit; a longer wait is re-armed when it fires

/** Real timers that do not keep the process alive. */
export const realScheduler: Scheduler = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * One pending wake-up at an instant on the injected clock. Arming it again replaces the previous
 * one. If the scheduler fires early (a long wait split at the timer limit), it re-arms itself.
 */
export class RefreshTimer {
  readonly #scheduler: Scheduler;
  readonly #clock: Clock;
  #handle: unknown = null;
  #disabled = false;

  constructor(scheduler: Scheduler, clock: Clock) {
    this.#scheduler = scheduler;
    this.#clock = clock;
  }

  /** Calls `due` at (or after) `at`, replacing any earlier arming. */
  arm(at: number, due: () => void): void {
    this.clear();
    if (this.#disabled) return;
    const delay = Math.min(Math.max(0, at - this.#clock.now()), MAX_TIMER_MS);
    this.#handle = this.#scheduler.setTimeout(() => {
      this.#handle = null;
      if (this.#clock.now() < at) this.arm(at, due);
      else due();
    }, delay);
  }

  clear(): void {
    if (this.#handle !== null) this.#scheduler.clearTimeout(this.#handle);
    this.#handle = null;
  }

  /** Clears and refuses further arming (agent shutdown). */
  disable(): void {
    this.#disabled = true;
    this.clear();
  }
}
