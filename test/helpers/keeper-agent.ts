import assert from 'node:assert/strict';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { loadConfig } from '../../src/config.ts';
import type { Fetch, Timers } from '../../src/core/ports.ts';
import { createAgent, type Agent } from '../../src/agent/server/create-agent.ts';
import { MemoryStore } from '../../src/store/memory.ts';

/**
 * The agent in-process (createAgent, a memory store, no timed keeper checks) against the sandbox,
 * its network through `fetch`, its log lines into `logLines`; started, and logged in as alice.
 * `timers`: the agent's timers and sleeps (default: real ones).
 */
export async function keeperAgentLoggedIn(
  sandbox: Sandbox,
  home: string,
  fetch: Fetch,
  logLines: string[],
  timers?: Timers,
): Promise<Pick<Agent, 'app' | 'services'>> {
  const env = { ...sandbox.env, EIDF_HOME: home, EIDF_STORE: 'memory', EIDF_KEEPALIVE_SECONDS: '86400' };
  const config = loadConfig(env, process.getuid?.() ?? 1000, () => undefined);
  const log = (line: string) => void logLines.push(line);
  const { app, services } = createAgent({
    config,
    opened: { store: new MemoryStore(), kind: 'memory', reason: 'test' },
    version: 'test',
    pid: process.pid,
    fetch,
    clock: { now: () => Date.now() },
    logger: { info: log, warn: log, debug: log },
    ...(timers ? { timers } : {}),
  });
  services.start();
  await services.settled(10_000);
  const session = services.session!;
  const start = await session.login();
  await sandbox.approveDevice(start.prompt.verification_uri_complete as string, 'alice');
  assert.ok((await session.waitForLogin()).ok);
  return { app, services };
}
