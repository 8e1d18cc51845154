import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How an agent run by systemd (install.sh --systemd) follows an upgrade. A command of another
 * version makes it exit with SERVICE_RESTART_EXIT, a failure to systemd, so the unit's
 * Restart=on-failure starts `ExecStart=… daemon run` again, now the new code; the command waits
 * for that agent instead of starting a detached one (agent-client.ts). Exit 0 would leave the service
 * stopped and the agent outside it.
 *
 * If the unit runs another installation than the command, the restarted agent is of the same
 * version as before, and restarting again would not help: every command would restart the
 * service, until systemd's start limit (5 starts in 10 s) stops it for good. A note in the
 * agent's folder, "agent version → caller version", remembers the one restart tried for a pair;
 * an agent that comes back of the caller's version removes it (the upgrade worked).
 */
export const SERVICE_RESTART_EXIT = 75; // EX_TEMPFAIL: "try again"; any non-zero exit works with Restart=on-failure

const NOTE = 'service-restart';

/**
 * Present from the moment a service agent exits to be restarted until an agent listens again. A
 * command that finds no agent meanwhile (docker's `get`, say) waits for the service's instead of
 * starting a detached one, which would take the socket and leave the restarted service nothing to
 * serve (agent-client.ts). A command that waited in vain removes it.
 */
export function restartingMarker(runtimeDir: string): string {
  return join(runtimeDir, 'service-restarting');
}

/** Sets (or clears) the marker; best effort: without it a command may start a detached agent, as before. */
export function markRestarting(runtimeDir: string, restarting: boolean): void {
  try {
    if (restarting) writeFileSync(restartingMarker(runtimeDir), '', { mode: 0o600 });
    else rmSync(restartingMarker(runtimeDir), { force: true });
  } catch {
    // see above
  }
}

export interface ServiceRestartNote {
  /** Whether restarting for a caller of `callerVersion` may help; records the try when it may. */
  tryRestart(callerVersion: string): boolean;
}

/** `runtimeDir` is the agent's private folder (runtime-dir.ts); `version` the running agent's. */
export function serviceRestartNote(runtimeDir: string, version: string): ServiceRestartNote {
  const path = join(runtimeDir, NOTE);
  const read = (): { from: string; to: string } | undefined => {
    try {
      const [from, to] = readFileSync(path, 'utf8').trim().split(' -> ');
      return from && to ? { from, to } : undefined;
    } catch {
      return undefined;
    }
  };
  // Started for the version a previous agent restarted for: done.
  if (read()?.to === version) rmSync(path, { force: true });
  return {
    tryRestart(callerVersion) {
      const note = read();
      if (note?.from === version && note.to === callerVersion) return false;
      try {
        writeFileSync(path, `${version} -> ${callerVersion}\n`, { mode: 0o600 });
      } catch {
        // Unrecorded, the restart is still worth trying; only the guard against repeating it is lost.
      }
      return true;
    },
  };
}
