import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { loadConfig } from '../../src/config.ts';
import type { Fetch } from '../../src/core/ports.ts';
import { createAgentServices, type AgentServices } from '../../src/agent/server/services.ts';
import { MemoryStore } from '../../src/store/memory.ts';

/**
 * Fallback mode when the OIDC session ends under the agent: the IdP cannot give Harbor-audience
 * ID tokens, so the keeper keeps a stored CLI secret alive while the user is logged in. When the
 * session's refresh token is refused (here: the IdP's token endpoint answers invalid_grant), the
 * session ends — and the stored secret must still be kept alive on the keep-alive schedule.
 * Short lifetimes: IdP tokens 3 s (Harbor refreshes its stored token on every probe), refresh
 * tokens die after 6 s unused, the keeper checks every 2 s.
 */
describe('the keeper after the OIDC session ends (fallback mode, real sandbox)', () => {
  let sandbox: Sandbox;
  let services: AgentServices;
  let dir: string;
  let refuseRefresh = false;

  /** The real fetch, except that the IdP refuses refresh grants while `refuseRefresh` is set. */
  const fetchRefusingRefresh: Fetch = async (input, init) => {
    const body =
      typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : '';
    if (refuseRefresh && body.includes('grant_type=refresh_token')) {
      return new Response(JSON.stringify({ error: 'invalid_grant', error_description: 'grant request is invalid' }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      });
    }
    return fetch(input, init);
  };

  before(async () => {
    sandbox = await startSandbox({
      registry: false,
      devicePollInterval: 0.05,
      harborAudience: false,
      accessTokenTtl: 3,
      refreshIdleTtl: 6,
    });
    dir = mkdtempSync(join(tmpdir(), 'eidf-keeper-end-'));
    const env = { ...sandbox.env, EIDF_HOME: dir, EIDF_STORE: 'memory', EIDF_KEEPALIVE_SECONDS: '2' };
    const config = loadConfig(env, process.getuid?.() ?? 1000, () => undefined);
    const quiet = { info: () => {}, warn: () => {}, debug: () => {} };
    services = createAgentServices({
      config,
      store: new MemoryStore(),
      fetch: fetchRefusingRefresh,
      clock: { now: () => Date.now() },
      logger: quiet,
    });
    services.start();
    await services.settled(10_000);
    await sandbox.webLogin('alice'); // Harbor's stored token: fresh
    const start = await services.session!.login();
    await sandbox.approveDevice(start.prompt.verification_uri_complete as string, 'alice');
    assert.ok((await services.session!.waitForLogin()).ok);
  });

  after(async () => {
    services?.stop();
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logged in, Harbor refuses the ID token; the stored secret is checked and used', async () => {
    await services.credentials.add(sandbox.registryHost, {
      Username: 'alice',
      Secret: sandbox.cliSecretOf('alice') as string,
    });
    const status = await services.keeper.check();
    assert.equal(status.state, 'valid');
    assert.equal(status.mode, 'stored-secret');
    assert.match(status.modeReason ?? '', /refused the ID token/);
  });

  it('the session ends (refresh refused); the stored secret is still kept alive past the idle limit', async () => {
    refuseRefresh = true;
    await waitUntil(() => services.session!.status().state === 'logged-out', 15_000);
    refuseRefresh = false;
    const endedAt = Date.now();
    // Harbor's stored refresh token dies 6 s after its last use; only the keeper's probes use it.
    await waitUntil(
      () => Date.now() - endedAt > 9_000 && Date.parse(services.keeper.status().lastValidAt ?? '0') > endedAt + 7_000,
      20_000,
      () => JSON.stringify(services.keeper.status()),
    );
    const status = services.keeper.status();
    assert.equal(status.state, 'valid', JSON.stringify(status));
    assert.equal(status.mode, 'stored-secret');
    assert.match(status.modeReason ?? '', /not logged in: keeping the stored secret alive/);
    assert.notEqual(status.nextCheckAt, null, 'a next check is scheduled');
    assert.deepEqual(await services.resolveCredential(sandbox.registryHost), {
      Username: 'alice',
      Secret: sandbox.cliSecretOf('alice'),
    });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number, what: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in time ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
