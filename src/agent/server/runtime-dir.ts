import { checkAgentSocket, ensurePrivateDir, GROUP_OTHER_ANY, RUNTIME_HINT } from '../../platform/private-path.ts';

/**
 * Makes sure the agent's folder is private before the agent listens in it: a real directory (not
 * a symlink), owned by `uid`, no group/other bits, created 0700 when absent. Anything else is
 * refused (AGENT_UNSAFE, one line naming the path, its owner and what to do), never repaired: a
 * socket in a folder someone else controls, or controlled once, could be swapped for theirs.
 * With `socket`, a socket already there must be the user's. Clients check the same before they
 * connect (platform/private-path.ts, checkAgentSocket).
 */
export function prepareRuntimeDir(dir: string, uid: number, socket?: string): void {
  ensurePrivateDir(dir, { uid, forbidden: GROUP_OTHER_ANY, otherwise: RUNTIME_HINT });
  // A socket left there must be ours too before the agent probes it (a probe is a connection).
  if (socket !== undefined) checkAgentSocket(socket, uid);
}
