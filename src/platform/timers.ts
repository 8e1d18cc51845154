import type { Timers } from '../core/ports.ts';

/** Node's timers behind the `Timers` port: background timers are unref'd, sleeps are not. */
export const realTimers: Timers = {
  setTimer(callback, delayMs) {
    const handle = setTimeout(callback, delayMs).unref();
    return { cancel: () => clearTimeout(handle) };
  },
  sleep(delayMs, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(handle);
        resolve();
      };
      const handle = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
