import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Fetch } from '../../src/core/ports.ts';
import type { AgentServices } from '../../src/agent/server/services.ts';
import { keeperAgentLoggedIn } from '../helpers/keeper-agent.ts';
import type { Agent } from '../../src/agent/server/create-agent.ts';
import { eidfError } from '../helpers/errors.ts';
import { skippedSleeps } from '../helpers/manual-timers.ts';

/**
 * The secret keeper in-process, wired as the agent wires it (createAgent), against the
 * real sandbox; faults come from the network between them: a fetch that sends Harbor's or the
 * IdP's requests to a closed port, to a server that accepts and never answers, or to a real HTTP
 * server of ours that answers garbage. It also counts (and can hold) the keeper's probes. The
 * agent's sleeps (the re-probe after a refusal) end at once; its timers are real.
 */
type Route = 'up' | 'closed' | 'blackhole' | 'garbage';

describe('the secret keeper under faults (real sandbox, real HTTP)', () => {
  let sandbox: Sandbox;
  let services: AgentServices;
  let app: Agent['app'];
  let dir: string;
  const logLines: string[] = [];
  const jump = skippedSleeps();
  const net = { harbor: 'up' as Route, idp: 'up' as Route, probes: 0, hold: null as Promise<void> | null };
  let closedOrigin: string;
  let blackhole: { origin: string; server: ReturnType<typeof createNetServer>; sockets: Set<Socket> };
  let garbage: {
    origin: string;
    server: Server;
    answer: (path: string) => { status: number; type: string; body: string };
  };

  const routedFetch: Fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const isHarbor = url.origin === sandbox.registryUrl;
    const route = isHarbor ? net.harbor : url.origin === new URL(sandbox.issuer).origin ? net.idp : 'up';
    if (isHarbor && url.pathname === '/service/token') {
      net.probes++;
      if (net.hold) await net.hold;
    }
    const origin = { up: url.origin, closed: closedOrigin, blackhole: blackhole.origin, garbage: garbage.origin }[
      route
    ];
    return fetch(new URL(url.pathname + url.search, origin), init);
  };

  const registry = () => sandbox.registryHost;
  /** The helper's `get`, as the agent's route answers it. */
  const get = () => services.resolveCredential(registry());
  const secretOf = () => sandbox.cliSecretOf('alice') as string;

  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05, accessTokenTtl: 6, onboarded: [] });
    dir = mkdtempSync(join(tmpdir(), 'eidf-keeper-'));
    closedOrigin = await closedPortOrigin();
    blackhole = await startBlackhole();
    garbage = await startGarbage();
    ({ app, services } = await keeperAgentLoggedIn(sandbox, dir, routedFetch, logLines, jump.timers));
  });

  after(async () => {
    services?.stop();
    for (const socket of blackhole?.sockets ?? []) socket.destroy();
    blackhole?.server.close();
    garbage?.server.closeAllConnections();
    garbage?.server.close();
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a user Harbor does not know (401 on users/current) is not-onboarded; a web login fixes it', async () => {
    const status = await services.keeper.check();
    assert.equal(status.state, 'not-onboarded');
    assert.match(status.action ?? '', new RegExp(`${sandbox.registryUrl}/c/oidc/login`));
    await assert.rejects(get(), eidfError('NOT_FOUND', /\/c\/oidc\/login/, [], 'not-onboarded'));
    await sandbox.webLogin('alice');
    const fixed = await services.keeper.check();
    assert.equal(fixed.state, 'valid');
    assert.equal(fixed.mode, 'oidc');
    assert.deepEqual(await get(), { Username: 'alice', Secret: secretOf() });
  });

  it('50 gets while a check runs all answer at once; the check made ONE probe', async () => {
    let release!: () => void;
    net.hold = new Promise<void>((resolve) => (release = resolve));
    net.probes = 0;
    const checks = Array.from({ length: 10 }, () => services.keeper.check());
    const gets = await withDeadline(
      Promise.all(
        Array.from({ length: 50 }, () => request(app).post('/v1/credentials/get').send({ registry: registry() })),
      ),
      5_000,
    );
    for (const answer of gets)
      assert.deepEqual([answer.status, answer.body], [200, { Username: 'alice', Secret: secretOf() }]);
    release();
    net.hold = null;
    const results = await Promise.all(checks);
    assert.ok(results.every((s) => s.state === 'valid'));
    assert.equal(net.probes, 1);
  });

  it('Harbor down (port closed): unreachable, the last good secret is still handed out; back up: valid', async () => {
    net.harbor = 'closed';
    const status = await services.keeper.check();
    assert.equal(status.state, 'unreachable');
    assert.equal(status.lastError?.code, 'HARBOR_UNREACHABLE');
    assert.deepEqual(await get(), { Username: 'alice', Secret: secretOf() });
    assert.equal(services.session!.status().subject !== null, true, 'the session is untouched');
    net.harbor = 'up';
    assert.equal((await services.keeper.check()).state, 'valid');
  });

  it('get never waits on the network: with Harbor a blackhole, it answers from memory during the check', async () => {
    net.harbor = 'blackhole';
    const hanging = services.keeper.check();
    await waitUntil(() => blackhole.sockets.size > 0, 5_000);
    assert.deepEqual(await withDeadline(get(), 5_000), { Username: 'alice', Secret: secretOf() });
    const answer = await withDeadline(request(app).post('/v1/credentials/get').send({ registry: registry() }), 5_000);
    assert.equal(answer.body.Secret, secretOf());
    for (const socket of blackhole.sockets) socket.destroy();
    assert.equal((await hanging).state, 'unreachable');
    net.harbor = 'up';
    assert.equal((await services.keeper.check()).state, 'valid');
  });

  it('5xx answers and HTML error pages: unreachable, last good secret kept', async () => {
    net.harbor = 'garbage';
    for (const answer of [
      {
        status: 503,
        type: 'application/json',
        body: '{"errors":[{"code":"UNKNOWN","message":"down for maintenance"}]}',
      },
      { status: 502, type: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' },
    ]) {
      garbage.answer = () => answer;
      const status = await services.keeper.check();
      assert.equal(status.state, 'unreachable', JSON.stringify(answer));
      assert.deepEqual(await get(), { Username: 'alice', Secret: secretOf() });
    }
    net.harbor = 'up';
    assert.equal((await services.keeper.check()).state, 'valid');
  });

  it('a 200 HTML page (a portal) is an error; a secret Harbor refused is never handed out, even when Harbor then fails', async () => {
    net.harbor = 'garbage';
    garbage.answer = () => ({ status: 200, type: 'text/html', body: '<html>Sign in to the network</html>' });
    const portal = await services.keeper.check();
    assert.equal(portal.state, 'error');
    assert.equal(portal.lastError?.code, 'HARBOR_ERROR');
    // Harbor knows the user but refuses the secret: it is dead.
    garbage.answer = (path) =>
      path.startsWith('/service/token')
        ? {
            status: 401,
            type: 'application/json',
            body: '{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}',
          }
        : {
            status: 200,
            type: 'application/json',
            body: JSON.stringify({ user_id: 3, username: 'alice', oidc_user_meta: { secret: secretOf() } }),
          };
    assert.equal((await services.keeper.check()).state, 'needs-web-login');
    assert.deepEqual(jump.sleeps, [3_000], 'asked twice, 3 s apart');
    garbage.answer = () => ({ status: 500, type: 'text/html', body: '<h1>Internal Server Error</h1>' });
    assert.equal((await services.keeper.check()).state, 'unreachable');
    assert.equal(services.keeper.credential(), null);
    await assert.rejects(get(), { code: 'NOT_FOUND' });
    // And a 401 on users/current is "not onboarded", whoever sends it.
    garbage.answer = () => ({
      status: 401,
      type: 'application/json',
      body: '{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}',
    });
    assert.equal((await services.keeper.check()).state, 'not-onboarded');
    net.harbor = 'up';
    assert.equal((await services.keeper.check()).state, 'valid');
  });

  it('a secret rotated elsewhere (PUT cli_secret with her ID token) is picked up by the next check', async () => {
    const old = secretOf();
    const idToken = await services.session!.getIdToken();
    const me = (await (
      await fetch(`${sandbox.registryUrl}/api/v2.0/users/current`, { headers: { authorization: `Bearer ${idToken}` } })
    ).json()) as { user_id: number };
    const put = await fetch(`${sandbox.registryUrl}/api/v2.0/users/${me.user_id}/cli_secret`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ secret: 'Rotated-Elsewhere-42' }),
    });
    assert.equal(put.status, 200);
    const status = await services.keeper.check();
    assert.equal(status.state, 'valid');
    assert.equal(status.mode, 'oidc');
    assert.deepEqual(await get(), { Username: 'alice', Secret: 'Rotated-Elsewhere-42' });
    assert.notEqual(old, 'Rotated-Elsewhere-42');
  });

  it('IdP down while Harbor is up: fine while the ID token is fresh, then unreachable with the last good secret', async () => {
    const session = services.session!;
    const remaining = () => Date.parse(session.status().idTokenExpiresAt ?? '0') - Date.now();
    await waitUntil(() => remaining() > 4_500, 15_000); // just refreshed: ≥ 3 s before it is too old to hand out
    net.idp = 'closed';
    // A fresh ID token needs no IdP: the check still works.
    assert.equal((await services.keeper.check()).state, 'valid');
    // Once the held ID token is too old to hand out (the refresh keeps failing), the check cannot read users/current.
    await waitUntil(() => remaining() < 1_400, 15_000);
    const status = await services.keeper.check();
    assert.equal(status.state, 'unreachable');
    assert.equal(status.lastError?.code, 'IDP_UNREACHABLE');
    assert.deepEqual(await get(), { Username: 'alice', Secret: secretOf() });
    net.idp = 'up';
    // The session retries on its own back-off; the keeper recovers once it has.
    await waitUntil(async () => (await services.keeper.check()).state === 'valid', 30_000);
  });

  it('nothing the agent logged holds a secret or a token', async () => {
    const idToken = await services.session!.getIdToken();
    for (const line of logLines) {
      for (const secret of [secretOf(), 'Rotated-Elsewhere-42', idToken]) assert.ok(!line.includes(secret), line);
    }
  });
});

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An origin nothing listens on (a port we bound and released). */
async function closedPortOrigin(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Accepts connections and never answers. */
async function startBlackhole(): Promise<{
  origin: string;
  server: ReturnType<typeof createNetServer>;
  sockets: Set<Socket>;
}> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, sockets };
}

/** A real HTTP server answering whatever the test sets. */
async function startGarbage(): Promise<{
  origin: string;
  server: Server;
  answer: (path: string) => { status: number; type: string; body: string };
}> {
  const state = {
    origin: '',
    server: undefined as unknown as Server,
    answer: (_path: string) => ({ status: 500, type: 'text/plain', body: 'unset' }),
  };
  state.server = createServer((req, res) => {
    const { status, type, body } = state.answer(req.url ?? '/');
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(state.server.address() as { port: number }).port}`;
  return state;
}
