import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { runAgent } from '../../src/agent/server/run-agent.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { isolatedHome, runCli } from '../helpers/cli.ts';

it('a helper of another version makes the running agent stop, and starts one of its own', async () => {
  const ctx = isolatedHome();
  try {
    // Given an agent of an older version serving this user's socket (in this process)
    const config = loadConfig(ctx.env, process.getuid!(), () => undefined);
    const silent = { info() {}, warn() {}, debug() {} };
    const old = await runAgent({
      config,
      uid: process.getuid!(),
      pid: process.pid,
      version: '0.0.9',
      clock: { now: () => Date.now() },
      fetch,
      logger: silent,
      openStore: async () => ({ store: new MemoryStore(), kind: 'memory', reason: 'test' }),
    });
    assert.ok(old, 'the old agent started');

    // When the current helper stores and reads a credential
    const stored = await runCli(['store'], {
      env: ctx.env,
      input: '{"ServerURL":"reg.example","Username":"u","Secret":"s"}',
    });
    assert.deepEqual(stored, { code: 0, stdout: '', stderr: '' });

    // Then the old agent has stopped, asked to by the helper, and an agent of the helper's version answers
    assert.equal(await old.stopped, 'helper version 0.1.0');
    const status = JSON.parse((await runCli(['status', '--json'], { env: ctx.env })).stdout);
    assert.equal(status.agent.version, '0.1.0');
    assert.notEqual(status.agent.pid, process.pid);
    assert.equal(
      (await runCli(['get'], { env: ctx.env, input: 'reg.example' })).stdout,
      '{"ServerURL":"reg.example","Username":"u","Secret":"s"}\n',
    );
  } finally {
    await ctx.cleanup();
  }
});
