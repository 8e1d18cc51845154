import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir } from '../../platform/private-path.ts';
import { rotateLogAtStart } from '../../platform/log-rotation.ts';
import { AGENT_MALLOC_ENV } from '../../platform/runtime.ts';

/**
 * Starts `docker-credential-eidf daemon run` detached from this process, with its output
 * appended to the agent log (0600, in a folder checked to be `uid`'s own). `command` is the argv
 * prefix that runs this CLI (node + script from a checkout). `exited` settles if the agent process ends.
 */
export async function spawnDetachedAgent(
  command: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv,
  uid: number,
): Promise<{ exited: Promise<void> }> {
  // Loaded here, not at the top: the helper's `get` path rarely starts an agent.
  const { spawn } = await import('node:child_process');
  // The log's folder must be ours and not writable by others (else a planted symlink could redirect it).
  ensurePrivateDir(dirname(logFile), { uid });
  rotateLogAtStart(logFile);
  const log = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(command[0], [...command.slice(1), 'daemon', 'run'], {
      detached: true,
      stdio: ['ignore', log, log],
      // glibc's settings for an agent that is idle nearly always (runtime.ts); read at start.
      env: { ...AGENT_MALLOC_ENV, ...env },
    });
    child.unref();
    // An agent that fails at start exits; the helper stops waiting for it then.
    return { exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
  } finally {
    closeSync(log);
  }
}
