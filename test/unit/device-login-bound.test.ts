import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliDeps } from '../../src/cli/deps.ts';
import { deviceLogin } from '../../src/cli/commands/device-login.ts';
import { loadConfig } from '../../src/config.ts';
import type { AgentClient, RequestOptions } from '../../src/agent/client/agent-client.ts';

/**
 * Issue 10 point 4: a device login that `get` starts waits a bounded time even when the IdP's
 * code lives longer; leaving closes the wait request (the agent then cancels a login nobody
 * else waits for). The agent here answers like the real one: the prompt at once, the wait
 * held open until the caller leaves.
 */
describe('deviceLogin with maxWaitMs', () => {
  const config = loadConfig(
    { EIDF_HOME: '/nonexistent-eidf-home', EIDF_REGISTRY: 'registry.example.org' },
    1000,
    () => undefined,
  );
  const run = async (maxWaitMs: number, expiresInMs: number) => {
    let stderr = '';
    let waitLeft = false;
    const agent = {
      call: async (endpoint: string, _body?: unknown, options: RequestOptions = {}) => {
        if (endpoint === 'POST /v1/session/login') {
          return {
            joined: false,
            prompt: {
              verification_uri: 'https://idp/device',
              user_code: 'ABCD-EFGH',
              expires_at: new Date(Date.now() + expiresInMs).toISOString(),
            },
          };
        }
        return new Promise((_resolve, reject) =>
          options.signal?.addEventListener('abort', () => {
            waitLeft = true;
            reject(new Error('socket closed'));
          }),
        );
      },
    } as unknown as AgentClient;
    const deps = {
      env: {},
      platform: 'linux',
      clock: { now: () => Date.now() },
      stderr: { write: (t: string) => void (stderr += t), isTTY: false },
    } as unknown as CliDeps;
    const error = await deviceLogin(agent, deps, config, {
      browser: false,
      signal: new AbortController().signal,
      maxWaitMs,
    }).then(
      () => undefined,
      (err: unknown) => err as { code?: string; message: string },
    );
    return { error, stderr, waitLeft };
  };

  it('stops waiting after maxWaitMs with LOGIN_EXPIRED, and leaves the wait (the connection closes)', async () => {
    const { error, stderr, waitLeft } = await run(300, 600_000);
    assert.equal(error?.code, 'LOGIN_EXPIRED');
    assert.match(error?.message ?? '', /no approval within 0 minutes; stopped waiting/);
    assert.ok(waitLeft, 'the wait request was closed');
    const shown = stderr.match(/Waiting for approval until (\d\d:\d\d:\d\d) UTC/)?.[1];
    assert.ok(
      shown !== undefined && shown !== new Date(Date.now() + 600_000).toISOString().slice(11, 19),
      "the shown end is the bound, not the code's expiry",
    );
  });
});
