import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Fetch } from '../../src/core/ports.ts';
import type { AgentServices } from '../../src/agent/server/services.ts';
import { keeperAgentLoggedIn } from '../helpers/keeper-agent.ts';
import { jwtExpiry } from '../../src/oidc/jwt-expiry.ts';

/**
 * The registry-secret check when its ID token expires on the way to Harbor: the agent was paused
 * (SIGSTOP, a suspended laptop) between the session handing the token out and Harbor reading it.
 * The keeper runs in-process, wired as the agent wires it, against the real sandbox (IdP tokens live
 * 4 s, Harbor checks `exp` without leeway). The network between them holds the check's
 * users/current request until its token has expired, so Harbor answers 401; and, to play a process
 * whose timers did not run meanwhile, it can hold the session's refresh at the IdP too, as a
 * refresh still in flight. Neither may end as "Harbor did not accept the login token".
 */
describe('the secret keeper after a pause past the ID token expiry (real sandbox)', () => {
  let sandbox: Sandbox;
  let services: AgentServices;
  let dir: string;
  const logLines: string[] = [];
  const net = {
    /** Holds the next users/current request (then clears itself); gets the bearer token it carries. */
    holdCurrentUser: null as ((bearer: string) => Promise<void>) | null,
    /** Holds requests to the IdP's token endpoint while set. */
    holdIdp: null as Promise<void> | null,
    currentUser: [] as number[],
    refreshes: 0,
  };

  const routedFetch: Fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin === sandbox.registryUrl && url.pathname === '/api/v2.0/users/current') {
      const hold = net.holdCurrentUser;
      net.holdCurrentUser = null;
      const bearer = (init?.headers as Record<string, string>).authorization.replace(/^Bearer /, '');
      if (hold) await hold(bearer);
      const answer = await fetch(input, init);
      net.currentUser.push(answer.status);
      return answer;
    }
    if (url.origin === new URL(sandbox.issuer).origin && url.pathname.endsWith('/token')) {
      if (net.holdIdp) await net.holdIdp;
      net.refreshes++;
    }
    return fetch(input, init);
  };

  /** Waits (on the wall clock, as Harbor judges) until `bearer` has expired. */
  const untilExpired = async (bearer: string) => {
    const exp = jwtExpiry(bearer)!;
    while (Date.now() < exp + 300) await new Promise((r) => setTimeout(r, 50));
  };

  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05, accessTokenTtl: 4 });
    dir = mkdtempSync(join(tmpdir(), 'eidf-paused-'));
    ({ services } = await keeperAgentLoggedIn(sandbox, dir, routedFetch, logLines));
    assert.equal((await services.keeper.recheck()).state, 'valid');
  });

  after(async () => {
    services?.stop();
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the session renewed the token meanwhile: asked again with the new one, the secret stays valid', async () => {
    net.currentUser = [];
    logLines.length = 0;
    net.holdCurrentUser = untilExpired;
    const status = await services.keeper.check();
    assert.deepEqual(net.currentUser, [401, 200], 'Harbor refused the expired token, then took the new one');
    assert.equal(status.state, 'valid', JSON.stringify(status.lastError));
    assert.deepEqual(services.keeper.credential(), { Username: 'alice', Secret: sandbox.cliSecretOf('alice') });
    assert.doesNotMatch(logLines.join('\n'), /check failed|did not accept the login token/);
  });

  it('no timer ran (the refresh still in flight): the check waits for that refresh, no false refusal', async () => {
    net.currentUser = [];
    logLines.length = 0;
    let releaseIdp!: () => void;
    net.holdCurrentUser = async (bearer) => {
      net.holdIdp = new Promise<void>((resolve) => (releaseIdp = resolve));
      const refreshesBefore = net.refreshes;
      await untilExpired(bearer);
      assert.equal(net.refreshes, refreshesBefore, 'no refresh reached the IdP while "paused"');
      setTimeout(() => {
        net.holdIdp = null;
        releaseIdp();
      }, 300);
    };
    const status = await services.keeper.check();
    assert.deepEqual(net.currentUser, [401, 200]);
    assert.equal(status.state, 'valid', JSON.stringify(status.lastError));
    assert.ok(services.session!.status().state !== 'error');
    assert.doesNotMatch(logLines.join('\n'), /check failed|did not accept the login token/);
  });
});
