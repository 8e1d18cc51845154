import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Starts `docker-credential-eidf daemon run` detached from this process, with its output
 * appended to the agent log (0600). `command` is the argv prefix that runs this CLI
 * (node + script from a checkout, or the single executable alone).
 */
export function spawnDetachedAgent(command: readonly string[], logFile: string, env: NodeJS.ProcessEnv): void {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const log = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(command[0]!, [...command.slice(1), 'daemon', 'run'], {
      detached: true,
      stdio: ['ignore', log, log],
      env,
    });
    child.unref();
  } finally {
    closeSync(log);
  }
}
