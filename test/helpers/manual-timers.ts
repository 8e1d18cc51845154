import assert from 'node:assert/strict';
import type { Timer, Timers } from '../../src/core/ports.ts';
import { realTimers } from '../../src/platform/timers.ts';

/** The `Timers` port for tests: every timer (and sleep) waits until the test fires it. */
export class ManualTimers implements Timers {
  #next = 1;
  /** Pending timers by id, in the order they were set. */
  readonly pending = new Map<number, { callback: () => void; delayMs: number }>();

  setTimer(callback: () => void, delayMs: number): Timer {
    const id = this.#next++;
    this.pending.set(id, { callback, delayMs });
    return { cancel: () => this.pending.delete(id) };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.setTimer(resolve, delayMs);
      signal?.addEventListener('abort', () => (timer.cancel(), resolve()), { once: true });
    });
  }

  /** The delay of the one pending timer. */
  get delay(): number {
    assert.equal(this.pending.size, 1, 'exactly one timer is pending');
    return [...this.pending.values()][0].delayMs;
  }

  /** Fires every pending timer. */
  fire(): void {
    const timers = [...this.pending.values()];
    this.pending.clear();
    for (const timer of timers) timer.callback();
  }

  /** Fires the timer with this id (the keys of `pending`). */
  fireOne(id: number): void {
    const timer = this.pending.get(id);
    assert.ok(timer, `timer ${id} is pending`);
    this.pending.delete(id);
    timer.callback();
  }
}

/**
 * Time that jumps instead of passing: `timers.sleep(ms)` resolves at once and moves `clock` on by
 * `ms` (recorded in `sleeps`); `timers.setTimer` is a real timer. For an in-process agent whose
 * back-offs and re-probes should not be waited out, while its scheduled work still runs.
 */
export function skippedSleeps(base: () => number = Date.now): {
  timers: Timers;
  clock: { now(): number };
  sleeps: number[];
} {
  const sleeps: number[] = [];
  let skipped = 0;
  return {
    sleeps,
    clock: { now: () => base() + skipped },
    timers: {
      setTimer: (callback, delayMs) => realTimers.setTimer(callback, delayMs),
      sleep: async (delayMs) => {
        sleeps.push(delayMs);
        skipped += delayMs;
      },
    },
  };
}
