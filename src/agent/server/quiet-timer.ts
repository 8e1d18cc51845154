import type { Clock, Timer, Timers } from '../../core/ports.ts';

/** Quiet time after the last request before the agent gives memory back: past a burst, not between the `get`s of one pull. */
export const RELEASE_AFTER_QUIET_MS = 30_000;

export interface QuietTimerDeps {
  timers: Timers;
  clock: Clock;
  /** How long without activity counts as quiet. */
  quietMs: number;
  /** Called once the agent has been quiet for `quietMs`; not again until after the next activity. */
  onQuiet(): void;
}

/**
 * Something to do once requests stop: the agent's idle exit (after agentIdleSeconds) and its memory
 * release (a full GC 30 s after a burst). One timer, armed by activity when none is armed; when it
 * fires it re-arms for the rest of the quiet period if activity came since, else calls `onQuiet`
 * once and stays unarmed until the next activity. No polling: an agent that serves nothing has no
 * timer here.
 */
export class QuietTimer {
  readonly #deps: QuietTimerDeps;
  #lastActivity = 0;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(deps: QuietTimerDeps) {
    this.#deps = deps;
  }

  /** Activity (a request, the start): `onQuiet` comes once it has been quiet for the period. */
  activity(): void {
    this.#lastActivity = this.#deps.clock.now();
    if (this.#timer === undefined) this.#arm(this.#deps.quietMs);
  }

  /** How long since the last activity. */
  quietForMs(): number {
    return this.#deps.clock.now() - this.#lastActivity;
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
      const quiet = this.quietForMs();
      if (quiet < this.#deps.quietMs) return this.#arm(this.#deps.quietMs - quiet);
      this.#deps.onQuiet();
    }, delayMs);
  }
}
