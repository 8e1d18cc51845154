import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { loadConfig, SETTINGS } from '../../src/config.ts';
import { runAgent } from '../../src/agent/server/run-agent.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import type { Clock, Timers } from '../../src/core/ports.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';

const silent = { info() {}, warn() {}, debug() {} };

/** An agent in this process on a real socket, with EIDF_AGENT_IDLE_SECONDS=1. */
async function idleAgent(
  t: import('node:test').TestContext,
  store: MemoryStore,
  extra: Record<string, string> = {},
  memory: { clock?: Clock; timers?: Timers; releaseMemory?(): void } = {},
) {
  const home = mkdtempSync(join(tmpdir(), 'eidf-idle-'));
  const config = loadConfig(
    { HOME: home, EIDF_HOME: home, EIDF_STORE: 'memory', EIDF_AGENT_IDLE_SECONDS: '1', ...extra },
    process.getuid!(),
    () => undefined,
  );
  const agent = await runAgent({
    config,
    uid: process.getuid!(),
    pid: process.pid,
    version: '0.1.0',
    clock: { now: () => Date.now() },
    fetch,
    logger: silent,
    openStore: async () => ({ store, kind: 'memory', reason: 'test' }),
    ...memory,
  });
  assert.ok(agent);
  let stopped: string | undefined;
  void agent.stopped.then((reason) => (stopped = reason));
  t.after(async () => {
    agent.stop('test over');
    await agent.stopped;
    rmSync(home, { recursive: true, force: true });
  });
  return { agent, socket: config.paths.socket, stopped: () => stopped };
}

function call(socket: string, method: string, path: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: socket, method, path, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

// Each agent has its own home and socket: the cases run at once.
describe('the agent exits when idle', { concurrency: true }, () => {
  test('the idle exit defaults to 10 minutes; 0 turns it off', () => {
    assert.equal(SETTINGS.find((s) => s.key === 'agentIdleSeconds')?.default, '600');
  });

  test('an agent holding nothing exits once idle; requests keep it running', async (t) => {
    const { agent, socket, stopped } = await idleAgent(t, new MemoryStore());
    // Requests more often than the idle period keep it alive well past one period.
    for (let i = 0; i < 6; i++) {
      assert.equal(await call(socket, 'GET', '/v1/health'), 200);
      await sleep(300);
    }
    assert.equal(stopped(), undefined);
    assert.equal(await agent.stopped, 'idle');
  });

  test('an agent holding a stored credential stays; once it is erased, it exits when idle', async (t) => {
    const store = new MemoryStore();
    const { agent, socket, stopped } = await idleAgent(t, store);
    assert.equal(
      await call(socket, 'POST', '/v1/credentials/store', { registry: 'other.example', Username: 'u', Secret: 's' }),
      204,
    );
    await sleep(2500);
    assert.equal(stopped(), undefined, 'the agent keeps a stored credential');
    assert.equal(await call(socket, 'POST', '/v1/credentials/erase', { registry: 'other.example' }), 204);
    assert.deepEqual(await store.keys(), []);
    assert.equal(await agent.stopped, 'idle');
  });

  test('EIDF_AGENT_IDLE_SECONDS=0: never exits for idleness', async (t) => {
    const { stopped } = await idleAgent(t, new MemoryStore(), { EIDF_AGENT_IDLE_SECONDS: '0' });
    await sleep(2000);
    assert.equal(stopped(), undefined);
  });
});

test('after a burst and 30 s of quiet the agent runs one GC; no timer is armed while nothing happens', async (t) => {
  const timers = new ManualTimers();
  let now = Date.now();
  let releases = 0;
  const { socket } = await idleAgent(
    t,
    new MemoryStore(),
    { EIDF_AGENT_IDLE_SECONDS: '0' },
    {
      clock: { now: () => now },
      timers,
      releaseMemory: () => releases++,
    },
  );
  // Starting leaves garbage too: one release 30 s after the start, then nothing armed.
  assert.equal(timers.delay, 30_000);
  now += 30_000;
  timers.fire();
  assert.equal(releases, 1);
  assert.equal(timers.pending.size, 0, 'an agent that serves nothing has no timer');
  const answers = await Promise.all(Array.from({ length: 50 }, () => call(socket, 'GET', '/v1/health')));
  assert.deepEqual(new Set(answers), new Set([200]));
  assert.equal(timers.delay, 30_000, 'one timer for the whole burst');
  now += 20_000;
  assert.equal(await call(socket, 'GET', '/v1/health'), 200);
  now += 10_000;
  timers.fire();
  assert.equal(releases, 1, 'only 10 s of quiet since the last request');
  assert.equal(timers.delay, 20_000, 're-armed for the rest of the quiet period');
  now += 20_000;
  timers.fire();
  assert.equal(releases, 2);
  assert.equal(timers.pending.size, 0);
});
