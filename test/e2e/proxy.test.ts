import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import type { DoctorReport } from '../../src/cli/commands/doctor.ts';
import { isolatedHome, runCli } from '../helpers/cli.ts';
import { logInAs, status, type Home } from './login-rig.ts';

/**
 * A CONNECT proxy on loopback that counts the tunnels it opens, per target, and the credentials it
 * was given; for http:// targets it also reads the request lines passing through (`host METHOD path`).
 */
async function startCountingProxy(): Promise<{
  url: string;
  tunnels: Map<string, number>;
  requests: string[];
  auth: Set<string>;
  plain: () => number;
  stop(): Promise<void>;
}> {
  const tunnels = new Map<string, number>();
  const requests: string[] = [];
  const auth = new Set<string>();
  let plain = 0;
  const server: Server = createServer((_req, res) => {
    plain++; // a forward-proxy request without CONNECT: not what Node sends
    res.writeHead(502).end();
  });
  server.on('connect', (req, socket, head) => {
    tunnels.set(req.url!, (tunnels.get(req.url!) ?? 0) + 1);
    if (req.headers['proxy-authorization']) auth.add(req.headers['proxy-authorization']);
    const [host, port] = [
      req.url!.slice(0, req.url!.lastIndexOf(':')),
      Number(req.url!.slice(req.url!.lastIndexOf(':') + 1)),
    ];
    const upstream = connect(port, host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      socket.on('data', (chunk: Buffer) => {
        for (const [, method, path] of chunk.toString('latin1').matchAll(/^([A-Z]+) (\S+) HTTP\/1\.1\r$/gm))
          requests.push(`${req.url} ${method} ${path}`);
      });
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    requests,
    auth,
    plain: () => plain,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const total = (tunnels: Map<string, number>) => [...tunnels.values()].reduce((a, b) => a + b, 0);

/** Issue 10, point 6: every IdP and Harbor call of the agent goes through the proxy the environment names. */
describe('HTTPS_PROXY / HTTP_PROXY / NO_PROXY', () => {
  let sandbox: Sandbox;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  let ctx: Home;
  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, registry: false });
    proxy = await startCountingProxy();
    ctx = isolatedHome({ ...sandbox.env, EIDF_STORE: 'file', EIDF_NO_BROWSER: '1' });
  });
  after(async () => {
    await ctx?.cleanup();
    await proxy?.stop();
    await sandbox?.stop();
  });
  const idp = () => new URL(sandbox.issuer).host;
  const harbor = () => new URL(sandbox.registryUrl).host;
  const doctorChecks = async (env: NodeJS.ProcessEnv) => {
    const result = await runCli(['doctor', '--json'], { env });
    return { result, checks: (JSON.parse(result.stdout) as DoctorReport).checks };
  };

  it('login, the registry secret and doctor reach the IdP and Harbor through the proxy only; doctor names it without the password', async () => {
    // Lower case, with a user and password, as many site profiles set it.
    const withUser = new URL(proxy.url);
    withUser.username = 'eidf';
    withUser.password = 'proxy-pw-123';
    const env = { ...ctx.env, http_proxy: withUser.href };
    await logInAs(env, (url, user) => sandbox.approveDevice(url, user), 'alice');
    assert.ok((proxy.tunnels.get(idp()) ?? 0) >= 1, `tunnels: ${JSON.stringify([...proxy.tunnels])}`);
    assert.ok((proxy.tunnels.get(harbor()) ?? 0) >= 1, `tunnels: ${JSON.stringify([...proxy.tunnels])}`);
    assert.deepEqual([...proxy.tunnels.keys()].sort(), [harbor(), idp()].sort(), 'nothing else');
    assert.equal(proxy.plain(), 0);
    assert.deepEqual(
      [...proxy.auth],
      [`Basic ${Buffer.from('eidf:proxy-pw-123').toString('base64')}`],
      'the userinfo is sent to the proxy',
    );
    assert.equal((await status(env)).report.registrySecret.state, 'valid');

    assert.ok(
      proxy.requests.includes(`${idp()} POST /device/auth`) ||
        proxy.requests.some((r) => r.startsWith(`${idp()} POST `)),
      proxy.requests.join('\n'),
    );
    assert.ok(proxy.requests.includes(`${harbor()} GET /api/v2.0/users/current`), proxy.requests.join('\n'));
    const seen = proxy.requests.length;
    const { result, checks } = await doctorChecks(env);
    const doctorRequests = proxy.requests.slice(seen);
    assert.ok(doctorRequests.includes(`${idp()} GET /.well-known/openid-configuration`), doctorRequests.join('\n'));
    assert.ok(doctorRequests.includes(`${harbor()} GET /api/v2.0/systeminfo`), doctorRequests.join('\n'));
    assert.deepEqual(
      checks.find((c) => c.name === 'proxy'),
      {
        name: 'proxy',
        status: 'ok',
        action: null,
        message: `Harbor ${harbor()} via ${proxy.url} (http_proxy); IdP ${idp()} via ${proxy.url} (http_proxy)`,
      },
    );
    assert.ok(
      !result.stdout.includes('proxy-pw-123') && !result.stderr.includes('proxy-pw-123'),
      'no proxy password in doctor',
    );
    assert.equal(checks.find((c) => c.name === 'harbor')?.status, 'ok');
    assert.equal(checks.find((c) => c.name === 'oidc')?.status, 'ok');
  });

  it('NO_PROXY exempts the hosts it lists: the agent restarts with it and goes direct', async () => {
    const env = { ...ctx.env, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' };
    const before = total(proxy.tunnels);
    const seen = proxy.requests.length;
    const { checks } = await doctorChecks(env);
    assert.equal(
      checks.find((c) => c.name === 'proxy')?.message,
      `Harbor ${harbor()} direct (NO_PROXY); IdP ${idp()} direct (NO_PROXY)`,
    );
    assert.equal(checks.find((c) => c.name === 'harbor')?.status, 'ok');
    assert.match(
      checks.find((c) => c.name === 'agent')!.message,
      /replaced an agent \(pid \d+\) started with other settings/,
    );
    assert.equal(total(proxy.tunnels), before, 'no tunnel');
    assert.deepEqual(proxy.requests.slice(seen), [], 'no request through the proxy');
  });

  it('a proxy that does not answer: Harbor and the IdP are reported unreachable, the proxy named', async () => {
    const dead = await startCountingProxy();
    await dead.stop();
    const env = { ...ctx.env, HTTPS_PROXY: dead.url };
    const { checks } = await doctorChecks(env);
    // http:// targets use HTTP_PROXY only: this one is for https:// (and the sandbox is http://).
    assert.equal(checks.find((c) => c.name === 'proxy')?.message, `Harbor ${harbor()} direct; IdP ${idp()} direct`);
    const env2 = { ...ctx.env, HTTP_PROXY: dead.url };
    const down = await doctorChecks(env2);
    assert.equal(
      down.checks.find((c) => c.name === 'proxy')?.message,
      `Harbor ${harbor()} via ${dead.url} (HTTP_PROXY); IdP ${idp()} via ${dead.url} (HTTP_PROXY)`,
    );
    assert.equal(down.checks.find((c) => c.name === 'harbor')?.status, 'warn');
  });
});
