import { chmodSync, copyFileSync, fstatSync, ftruncateSync, renameSync, statSync } from 'node:fs';
import { errnoCode } from '../core/errors.ts';

/** Past this size the agent log is moved to `<log>.1`, replacing the one before: two files at most. */
export const MAX_LOG_BYTES = 1024 * 1024;

/**
 * Keeps the agent log small while the agent runs. A spawned agent's stderr (`fd`) is the log file,
 * opened for appending (spawn-agent.ts). Before a line that would take it past `maxBytes`, its
 * content is copied to `<log>.1` (0600, replacing the previous one) and the file is emptied: copy
 * and truncate rather than rename, because fd 2 is inherited and cannot be reopened, and appends
 * then land at the new, empty end. Returns undefined when `fd` is not that file (a terminal, or
 * journald under systemd): nothing to rotate. Never throws: logging must not stop the agent.
 */
export function logRotator(
  fd: number,
  logFile: string,
  maxBytes = MAX_LOG_BYTES,
): ((nextBytes: number) => void) | undefined {
  if (!isSameFile(fd, logFile)) return undefined;
  return (nextBytes) => {
    try {
      const size = fstatSync(fd).size;
      if (size === 0 || size + nextBytes <= maxBytes || !isSameFile(fd, logFile)) return;
      const temp = `${logFile}.1.tmp`;
      copyFileSync(logFile, temp);
      chmodSync(temp, 0o600);
      renameSync(temp, `${logFile}.1`);
      ftruncateSync(fd, 0);
    } catch {
      // Rotation is best effort; the line is written anyway.
    }
  };
}

/** Before an agent starts, a log past the limit is moved to `<log>.1` (the running agent's rotation covers the rest). */
export function rotateLogAtStart(logFile: string, maxBytes = MAX_LOG_BYTES): void {
  try {
    if (statSync(logFile).size > maxBytes) renameSync(logFile, `${logFile}.1`);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

function isSameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = statSync(path);
    return open.isFile() && open.dev === named.dev && open.ino === named.ino;
  } catch {
    return false;
  }
}
