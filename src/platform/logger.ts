import type { Clock, Logger } from '../core/ports.ts';

/** A logger writing timestamped lines to a stream (stderr, or the agent's log file). */
export function createLineLogger(write: (line: string) => void, clock: Clock, debugEnabled: boolean): Logger {
  const line = (level: string, message: string) =>
    write(`${new Date(clock.now()).toISOString()} ${level} ${message}\n`);
  return {
    info: (message) => line('info', message),
    warn: (message) => line('warn', message),
    debug: (message) => {
      if (debugEnabled) line('debug', message);
    },
  };
}
