import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {} from '../helpers/cli.ts';
import { loginHome, status, storedRefreshToken, type Home } from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

/** A loopback port nothing listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `login` refuses an unsafe issuer before anything starts, and fails cleanly when the IdP is down.
 * Each case has its own homes (and IdP stand-in): they run at once.
 */
describe('login: issuer checks and an unreachable IdP', { concurrency: true }, () => {
  const homes: Home[] = [];
  const home = (env: Record<string, string>) => {
    const ctx = loginHome(env);
    homes.push(ctx);
    return ctx;
  };
  after(async () => {
    for (const ctx of homes) await ctx.cleanup();
  });

  /** One line on stderr, nothing on stdout, exit 1; no agent was started, nothing stored. */
  const assertRefusedUpFront = async (ctx: Home, message: string) => {
    const result = await runInProcess(['login', '--no-browser'], { env: ctx.env, timeoutMs: 20_000 });
    assert.deepEqual(result, { code: 1, stdout: '', stderr: `docker-credential-eidf: ${message}\n` });
    assert.ok(!existsSync(join(ctx.home, 'run', 'agent.sock')), 'no agent was started');
    assert.ok(!existsSync(join(ctx.home, 'secrets.json')), 'nothing was stored');
  };

  it('an http:// issuer is refused without EIDF_ALLOW_INSECURE_LOOPBACK=1', async () => {
    const port = await closedPort();
    for (const allow of [undefined, '0']) {
      const ctx = home({
        EIDF_REGISTRY: 'registry.example',
        EIDF_OIDC_ISSUER: `http://127.0.0.1:${port}`,
        EIDF_OIDC_CLIENT_ID: 'eidf-cli',
        ...(allow === undefined ? {} : { EIDF_ALLOW_INSECURE_LOOPBACK: allow }),
      });
      await assertRefusedUpFront(
        ctx,
        'invalid configuration: EIDF_OIDC_ISSUER is http://; set EIDF_ALLOW_INSECURE_LOOPBACK=1 to allow that on loopback',
      );
    }
  });

  it('an http:// issuer on a host that is not loopback is refused even with EIDF_ALLOW_INSECURE_LOOPBACK=1', async () => {
    for (const issuer of [
      'http://idp.example.org',
      'http://10.0.0.1:8080/realms/x',
      'http://127.0.0.1.nip.io',
      'http://localhost.example.com',
    ]) {
      const ctx = home({
        EIDF_REGISTRY: 'registry.example',
        EIDF_OIDC_ISSUER: issuer,
        EIDF_OIDC_CLIENT_ID: 'eidf-cli',
        EIDF_ALLOW_INSECURE_LOOPBACK: '1',
      });
      await assertRefusedUpFront(
        ctx,
        'invalid configuration: EIDF_OIDC_ISSUER must be an https:// URL (http:// is allowed only for loopback hosts)',
      );
    }
  });

  it('an unreachable IdP: one clear line, exit 1, within a deadline; nothing stored, no login left waiting', async () => {
    const port = await closedPort();
    const issuer = `http://127.0.0.1:${port}`;
    const ctx = home({
      EIDF_REGISTRY: 'http://127.0.0.1:9',
      EIDF_OIDC_ISSUER: issuer,
      EIDF_OIDC_CLIENT_ID: 'eidf-cli',
      EIDF_ALLOW_INSECURE_LOOPBACK: '1',
    });
    // Killed (code null) if it hangs: the deadline is the bound, not a measurement.
    const result = await runInProcess(['login', '--no-browser'], { env: ctx.env, timeoutMs: 20_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `docker-credential-eidf: could not reach the identity provider at ${issuer} (ECONNREFUSED)\n`,
    );

    assert.equal(storedRefreshToken(ctx.home), undefined);
    const { code, report } = await status(ctx.env);
    assert.equal(code, 4);
    assert.equal(report.session?.state, 'logged-out');
    assert.equal(report.session?.loginPrompt, null);
    assert.equal(report.session?.lastError?.code, 'IDP_UNREACHABLE');
  });

  it('an IdP that accepts connections but never answers: one line, exit 1, bounded by the request timeout', async () => {
    const connections = new Set<Socket>();
    const silent = createServer((socket) => {
      // accepts and reads, never answers
      connections.add(socket);
      socket.on('close', () => connections.delete(socket)).resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const issuer = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const ctx = home({
        EIDF_REGISTRY: 'http://127.0.0.1:9',
        EIDF_OIDC_ISSUER: issuer,
        EIDF_OIDC_CLIENT_ID: 'eidf-cli',
        EIDF_ALLOW_INSECURE_LOOPBACK: '1',
      });
      const result = await runInProcess(['login', '--no-browser'], { env: ctx.env, timeoutMs: 40_000 });
      assert.deepEqual(result, {
        code: 1,
        stdout: '',
        stderr: `docker-credential-eidf: the identity provider at ${issuer} did not answer in time (discovery)\n`,
      });
      assert.equal(storedRefreshToken(ctx.home), undefined);
      assert.equal((await status(ctx.env)).report.session?.loginPrompt, null);
    } finally {
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
