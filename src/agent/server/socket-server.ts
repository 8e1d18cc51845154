import { chmodSync, closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Server } from 'node:http';
import { EidfError, errnoCode } from '../../core/errors.ts';

/**
 * Binds an HTTP server to the agent's unix socket safely:
 * - a lock file (O_EXCL, holding our pid) makes the stale-check and bind one step, so two
 *   agents starting at once cannot both unlink and bind;
 * - a socket left by a killed agent (nobody answers) is removed; a live one means another agent
 *   runs, which is an AGENT_ALREADY_RUNNING error for the caller to treat as success;
 * - the socket is made 0600 before anyone is told it is ready.
 */
export class AgentAlreadyRunning extends Error {}

/**
 * Connections the kernel queues before the agent accepts them (Node's default is 511). Past it a
 * unix-socket connect fails at once with EAGAIN; many `get`s at once (parallel pulls, CI fan-out)
 * reach that. Linux caps it at net.core.somaxconn (4096 since 5.4).
 */
const LISTEN_BACKLOG = 4096;

export async function listenOnSocket(server: Server, socketPath: string, pid: number): Promise<void> {
  const lockPath = `${socketPath}.lock`;
  await acquireLock(lockPath, pid);
  try {
    if (await socketAnswers(socketPath)) throw new AgentAlreadyRunning(`an agent already listens on ${socketPath}`);
    removeIfPresent(socketPath);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: socketPath, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(socketPath, 0o600);
  } finally {
    removeIfPresent(lockPath);
  }
}

/** Closes the server and removes the socket file. */
export async function closeSocketServer(server: Server, socketPath: string): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  removeIfPresent(socketPath);
}

export function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function acquireLock(lockPath: string, pid: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(pid));
      closeSync(fd);
      return;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    const holder = Number(readOrEmpty(lockPath));
    if (!Number.isInteger(holder) || holder <= 0 || !processAlive(holder)) {
      removeIfPresent(lockPath); // left by a killed agent
      continue;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new EidfError('AGENT_UNREACHABLE', `could not take the agent lock ${lockPath}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}
