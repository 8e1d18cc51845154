import { afterEach, beforeEach } from 'node:test';

/**
 * Runs each test of the enclosing describe (or file) in time zone `tz` (Node reads TZ again when it
 * changes), restoring the previous one afterwards. A test may set process.env.TZ itself meanwhile.
 */
export function useTimeZone(tz: string): void {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TZ;
    process.env.TZ = tz;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
}
