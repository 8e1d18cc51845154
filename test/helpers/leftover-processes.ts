import { readdirSync, readFileSync } from 'node:fs';

/**
 * Kills (SIGKILL) every process whose environment holds `entry` (e.g. `XDG_STATE_HOME=<a test's
 * folder>`): the agents a test started, when its cleanup's `daemon stop` could not end them (an agent
 * stuck saving to a stopped keychain). Processes that exit meanwhile, or are another user's, are
 * skipped. Returns how many it killed.
 */
export function killProcessesWithEnv(entry: string): number {
  let killed = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry)) continue;
      process.kill(Number(name), 'SIGKILL');
      killed++;
    } catch {
      // gone, or not ours to read
    }
  }
  return killed;
}
