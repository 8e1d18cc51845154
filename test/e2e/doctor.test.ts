import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DoctorCheck, DoctorReport } from '../../src/cli/commands/doctor.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { HELPER_BIN, isolatedHome } from '../helpers/cli.ts';
import { startPrivateBus } from '../helpers/keyring.ts';
import { logInAs, loginHome, type Home } from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * `doctor` as a user runs it, against the sandbox and a few broken setups: a healthy setup is all
 * ok (exit 0); a missing wiring, a plaintext secret, a broken auth file, a stopped sandbox, a Harbor
 * not in OIDC mode, silent servers and an unusable keychain each give the right warn/fail line.
 */

const BIN_DIR = dirname(HELPER_BIN);
const WITH_BIN = `${BIN_DIR}:${process.env.PATH}`;

interface Doctor {
  code: number | null;
  checks: Map<string, DoctorCheck>;
  stdout: string;
  stderr: string;
}

/** `doctor --json` in-process (given up on after `timeoutMs`): exit code and the checks by name. */
async function doctor(env: NodeJS.ProcessEnv, timeoutMs = 40_000): Promise<Doctor> {
  const result = await runInProcess(['doctor', '--json'], { env, timeoutMs });
  assert.notEqual(result.code, null, `doctor did not finish within ${timeoutMs} ms: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as DoctorReport;
  for (const c of report.checks) assert.deepEqual(Object.keys(c).sort(), ['action', 'message', 'name', 'status']);
  return {
    code: result.code,
    checks: new Map(report.checks.map((c) => [c.name, c])),
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

function get(result: Doctor, name: string): DoctorCheck {
  const found = result.checks.get(name);
  assert.ok(found, `no ${name} check in ${[...result.checks.keys()].join(', ')}`);
  return found;
}

function notOk(result: Doctor): string[] {
  return [...result.checks.values()].filter((c) => c.status !== 'ok').map((c) => `${c.status} ${c.name}: ${c.message}`);
}

describe('doctor against the sandbox', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  let dockerFile: string;
  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, registry: false });
    ctx = loginHome(sandbox.env, { PATH: WITH_BIN });
    ctx.env.XDG_RUNTIME_DIR = join(ctx.home, 'xdg');
    mkdirSync(ctx.env.XDG_RUNTIME_DIR, { mode: 0o700 });
    dockerFile = join(ctx.home, '.docker', 'config.json');
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('a bad setting: the config check fails naming it, and no agent is started', async () => {
    const result = await doctor({ ...ctx.env, EIDF_STORE: 'sometimes' });
    assert.equal(result.code, 1);
    const config = get(result, 'config');
    assert.equal(config.status, 'fail');
    assert.match(config.message, /EIDF_STORE must be one of/);
    assert.ok(!result.checks.has('agent'), 'the agent checks need the configuration');
    assert.ok(!existsSync(join(ctx.home, 'run', 'agent.sock')), 'no agent was started');
  });

  it('no setup, not logged in: the wiring warns with setup, the registry secret fails with login (exit 1)', async () => {
    const result = await doctor(ctx.env);
    assert.equal(result.code, 1);
    assert.equal(result.stdout.trim().startsWith('{'), true);
    assert.equal(get(result, 'path').status, 'ok', get(result, 'path').message);
    for (const name of ['docker-config', 'containers-auth']) {
      assert.equal(get(result, name).status, 'warn');
      assert.match(get(result, name).message, /does not exist/);
      assert.equal(get(result, name).action, 'run: docker-credential-eidf setup');
    }
    assert.equal(get(result, 'agent').status, 'ok');
    assert.equal(get(result, 'store').status, 'ok');
    assert.equal(get(result, 'oidc').status, 'ok', get(result, 'oidc').message);
    assert.equal(get(result, 'harbor').status, 'ok', get(result, 'harbor').message);
    assert.equal(get(result, 'session').status, 'fail');
    assert.equal(get(result, 'registry-secret').status, 'fail');
    assert.equal(get(result, 'registry-secret').action, 'run: docker-credential-eidf login');
  });

  it('healthy after setup and login: every check ok, exit 0, and the list on stdout says so', async () => {
    const setup = await runInProcess(['setup'], { env: ctx.env });
    assert.equal(setup.code, 0, setup.stderr);
    await logInAs(ctx.env, sandbox.approveDevice, 'alice');

    const result = await doctor(ctx.env);
    assert.deepEqual(notOk(result), []);
    assert.equal(result.code, 0);
    assert.match(get(result, 'harbor').message, /OIDC mode \(SAFE\)/);
    assert.match(get(result, 'registry-secret').message, /^valid for Harbor user alice/);
    assert.match(get(result, 'session').message, /^logged in as alice/);
    assert.equal(get(result, 'path').message, `docker runs ${HELPER_BIN}`);

    const people = await runInProcess(['doctor'], { env: ctx.env });
    assert.equal(people.code, 0);
    assert.doesNotMatch(people.stderr, /checks passed/, 'the report goes to stdout only');
    assert.match(people.stdout, /^ok {3}registry-secret +valid for Harbor user alice/m);
    assert.match(people.stdout, /^all checks passed\n$/m);
  });

  it('a plaintext auths entry for the registry: warn, suggesting setup; the secret is not shown', async () => {
    const saved = readFileSync(dockerFile, 'utf8');
    const config = JSON.parse(saved) as Record<string, unknown>;
    const secret = 'Plaintext-Secret-1234';
    config.auths = { [sandbox.registryHost]: { auth: Buffer.from(`alice:${secret}`).toString('base64') } };
    writeFileSync(dockerFile, JSON.stringify(config));
    try {
      const result = await doctor(ctx.env);
      const check = get(result, 'docker-config');
      assert.equal(check.status, 'warn');
      assert.match(check.message, /holds a plaintext secret for .* in auths/);
      assert.match(check.action ?? '', /^run: docker-credential-eidf setup/);
      assert.equal(result.code, 0, 'a warning is not a failure');
      assert.ok(
        !result.stdout.includes(secret) && !result.stdout.includes(Buffer.from(`alice:${secret}`).toString('base64')),
      );
    } finally {
      writeFileSync(dockerFile, saved);
    }
  });

  it('an auth file that is not JSON: fail naming the file (exit 1)', async () => {
    const saved = readFileSync(dockerFile, 'utf8');
    writeFileSync(dockerFile, '{"credHelpers": {');
    try {
      const result = await doctor(ctx.env);
      assert.equal(result.code, 1);
      const check = get(result, 'docker-config');
      assert.equal(check.status, 'fail');
      assert.equal(check.message, `${dockerFile} is not valid JSON`);
      assert.match(check.action ?? '', /^fix .*config\.json/);
    } finally {
      writeFileSync(dockerFile, saved);
    }
  });

  it('the sandbox stopped: the network checks warn with what failed, and doctor still answers in bounded time', async () => {
    await sandbox.stop();
    const result = await doctor(ctx.env, 30_000);
    const oidc = get(result, 'oidc');
    assert.equal(oidc.status, 'warn');
    assert.match(
      oidc.message,
      /^could not reach the identity provider at http:\/\/127\.0\.0\.1:\d+.* \(ECONNREFUSED\)$/,
    );
    const harbor = get(result, 'harbor');
    assert.equal(harbor.status, 'warn');
    assert.match(harbor.message, /^Harbor at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
    const secret = get(result, 'registry-secret');
    assert.equal(secret.status, 'warn');
    assert.match(secret.message, /^could not be checked: Harbor at .* is unreachable/);
    assert.equal(get(result, 'agent').status, 'ok');
  });
});

describe('doctor against broken servers', () => {
  /** A loopback HTTP server answering with `handler`; closed after the test. */
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; origin: string }> {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  it('a Harbor whose systeminfo says auth_mode db_auth: harbor fails with "not in OIDC mode"; PATH without the helper warns naming its folder', async () => {
    const { server, origin } = await serve((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v2.0/systeminfo')
        return void res.end(
          JSON.stringify({ auth_mode: 'db_auth', harbor_version: 'v2.11.2', self_registration: true }),
        );
      res.statusCode = 404;
      res.end(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: 'not found' }] }));
    });
    const ctx = isolatedHome({ EIDF_REGISTRY: origin, EIDF_ALLOW_INSECURE_LOOPBACK: '1', PATH: process.env.PATH });
    try {
      const result = await doctor(ctx.env);
      assert.equal(result.code, 1);
      const harbor = get(result, 'harbor');
      assert.equal(harbor.status, 'fail');
      assert.equal(harbor.message, `Harbor at ${origin} is not in OIDC mode (auth_mode db_auth)`);
      assert.match(harbor.action ?? '', /EIDF_REGISTRY/);
      const path = get(result, 'path');
      assert.equal(path.status, 'warn');
      assert.match(path.action ?? '', new RegExp(`^add ${BIN_DIR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to PATH`));
    } finally {
      await ctx.cleanup();
      await close(server);
    }
  });

  it('an IdP and a Harbor that accept connections but never answer: both warn "no answer", and doctor ends on its own', async () => {
    const { server, origin } = await serve(() => {}); // holds every request open
    const ctx = isolatedHome({
      EIDF_REGISTRY: origin,
      EIDF_OIDC_ISSUER: `${origin}/idp`,
      EIDF_OIDC_CLIENT_ID: 'cli',
      EIDF_ALLOW_INSECURE_LOOPBACK: '1',
      PATH: WITH_BIN,
    });
    try {
      const result = await doctor(ctx.env, 40_000);
      assert.equal(get(result, 'oidc').status, 'warn');
      assert.match(get(result, 'oidc').message, /\(no answer within \d+ ms\)$/);
      assert.equal(get(result, 'harbor').status, 'warn');
      assert.match(get(result, 'harbor').message, /is unreachable \(no answer within \d+ ms\)$/);
    } finally {
      await ctx.cleanup();
      await close(server);
    }
  });
});

describe('doctor with EIDF_STORE=keychain and no Secret Service', () => {
  it('the store check fails saying the keychain cannot be used, with what to do (exit 1)', async () => {
    const bus = await startPrivateBus();
    const ctx = isolatedHome({ ...bus.env, EIDF_STORE: 'keychain', PATH: WITH_BIN });
    ctx.env.EIDF_HOME = ctx.home; // bus.env brings its own HOME; EIDF_HOME keeps our files apart
    try {
      const result = await doctor(ctx.env);
      assert.equal(result.code, 1);
      const store = get(result, 'store');
      assert.equal(store.status, 'fail');
      assert.match(store.message, /^the keychain store cannot be used: EIDF_STORE=keychain but keychain unavailable/);
      assert.match(store.action ?? '', /EIDF_STORE=file.*daemon stop/);
    } finally {
      await ctx.cleanup();
      await bus.stop();
    }
  });
});

describe('doctor when no agent can start', () => {
  it('the agent check fails pointing at the agent log; the local checks still run (exit 1)', async () => {
    const ctx = isolatedHome({ PATH: WITH_BIN });
    try {
      // The agent refuses a runtime folder that is a symlink, and exits at once.
      mkdirSync(join(ctx.home, 'elsewhere'), { mode: 0o700 });
      symlinkSync(join(ctx.home, 'elsewhere'), join(ctx.home, 'run'));
      const result = await doctor(ctx.env);
      assert.equal(result.code, 1);
      const agent = get(result, 'agent');
      assert.equal(agent.status, 'fail');
      assert.match(agent.message, /^no agent answers: /);
      assert.equal(
        agent.action,
        `see ${join(ctx.home, 'agent.log')}, or run it in the foreground: docker-credential-eidf daemon run`,
      );
      assert.equal(get(result, 'path').status, 'ok');
      assert.equal(get(result, 'docker-config').status, 'warn');
      assert.ok(!result.checks.has('registry-secret'), 'no network checks without an agent');
    } finally {
      await ctx.cleanup();
    }
  });
});
