import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { StatusReport } from '../../src/cli/commands/status.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { HELPER_BIN, isolatedHome, runCli, type CliResult } from '../helpers/cli.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * Keep-alive and web re-login, as real processes against the sandbox with short token
 * lifetimes: IdP access and ID tokens live 3 s (so Harbor, which treats a token as expired 10 s
 * early, refreshes its stored token on every use), refresh tokens die after 8 s unused.
 * Harbor's stored token for each user comes from the web login made just before the test's
 * device login. Tests run at once, one user each, so their Harbor rows never race.
 */
const ACCESS_TTL_S = 3;
const REFRESH_IDLE_S = 8;

describe('the registry secret kept alive (or not) by the agent', { concurrency: true }, () => {
  let sandbox: Sandbox;
  const homes: Array<ReturnType<typeof isolatedHome>> = [];

  before(async () => {
    sandbox = await startSandbox({
      devicePollInterval: 0.05,
      accessTokenTtl: ACCESS_TTL_S,
      refreshIdleTtl: REFRESH_IDLE_S,
      registry: false,
      onboarded: [],
    });
  });
  after(async () => {
    for (const home of homes) await home.cleanup();
    await sandbox.stop();
  });

  /** A home whose agent checks every `keepAliveSeconds`; web login then device login as `user`. */
  async function loggedIn(user: string, keepAliveSeconds: number): Promise<NodeJS.ProcessEnv> {
    const home = isolatedHome({
      ...sandbox.env,
      EIDF_NO_BROWSER: '1',
      EIDF_KEEPALIVE_SECONDS: String(keepAliveSeconds),
    });
    homes.push(home);
    await sandbox.webLogin(user);
    const login = await deviceLogin(home.env, sandbox, user);
    assert.match(login.stderr, new RegExp(`registry secret: valid for Harbor user ${user}`));
    return home.env;
  }

  it('with the keep-alive, the secret outlives 5 access-token lifetimes and 2 idle limits', async () => {
    const env = await loggedIn('alice', 2);
    const secret = JSON.parse((await runCli(['get'], { env, input: sandbox.registryHost })).stdout).Secret as string;
    const start = Date.now();
    const validAt = new Set<string>();
    // Watch the agent's own checks; no probe of ours, so no two refreshes of Harbor's row overlap.
    while (Date.now() - start < (5 * ACCESS_TTL_S + 1) * 1000 || validAt.size < 6) {
      const report = await status(env);
      assert.equal(report.registrySecret.state, 'valid', JSON.stringify(report.registrySecret));
      validAt.add(report.registrySecret.lastValidAt as string);
      assert.ok(Date.now() - start < 40_000, `too few checks: ${[...validAt].join(', ')}`);
      await sleep(700);
    }
    assert.equal((await runInProcess(['daemon', 'stop'], { env })).code, 0); // the last check was ≤ ~2 s ago
    assert.equal(await probe(sandbox, 'alice', secret), 200, 'the secret still works');
    assert.equal(sandbox.cliSecretOf('alice'), secret, 'and it is the same secret');
  });

  it("without the keep-alive, the same secret dies once Harbor's stored refresh token idles out", async () => {
    const env = await loggedIn('bob', 86_400); // checks only at login and when asked
    const secret = JSON.parse((await runCli(['get'], { env, input: sandbox.registryHost })).stdout).Secret as string;
    await sleep((REFRESH_IDLE_S + 2) * 1000); // Harbor's refresh token, last used by the login's check, is dead now
    assert.equal(await probe(sandbox, 'bob', secret), 401);
    assert.equal(sandbox.cliSecretOf('bob'), secret, 'the secret did not change; Harbor can no longer refresh for it');
    // `login --web` checks first: the agent now knows the secret is dead, and says where to go.
    const web = startCli(['login', '--web', '--no-browser'], env);
    await waitFor(() => web.stderr().includes('/c/oidc/login') || undefined, 20_000, 'login --web to name the URL');
    const report = await status(env);
    assert.ok(report.session?.subject, 'the CLI session itself lives on');
    assert.equal(report.registrySecret.state, 'needs-web-login');
    assert.match(report.registrySecret.action ?? '', new RegExp(`${escape(sandbox.registryUrl)}/c/oidc/login`));
    const hinted = await runCli(['get'], { env, input: sandbox.registryHost });
    assert.deepEqual([hinted.code, hinted.stdout], [1, 'credentials not found in native keychain\n']);
    assert.match(
      hinted.stderr,
      new RegExp(`^docker-credential-eidf: [^\\n]*${escape(sandbox.registryUrl)}/c/oidc/login[^\\n]*\\n$`),
    );
    await sandbox.webLogin('bob');
    const done = await web.done;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(
      JSON.parse((await runCli(['get'], { env, input: sandbox.registryHost })).stdout).Secret,
      secret,
      'the same secret works again',
    );
  });

  it('revoked at the IdP: the session ends; logging in again shows needs-web-login; a web login brings the same secret back', async () => {
    const env = await loggedIn('carol', 2);
    const secret = JSON.parse((await runCli(['get'], { env, input: sandbox.registryHost })).stdout).Secret as string;
    await sandbox.revokeIdpSession('carol');
    // The CLI's refresh token is revoked too: its next refresh (≤ 1.5 s away) ends the session.
    const ended = await waitFor(
      async () => {
        const report = await status(env);
        return report.session?.state === 'logged-out' && report.registrySecret.state === 'no-credential'
          ? report
          : undefined;
      },
      20_000,
      'the session to end and the registry secret to be no-credential',
    );
    assert.equal(ended.loggedIn, false);
    assert.equal(ended.registrySecret.action, 'run: docker-credential-eidf login');
    const refused = await runCli(['get'], { env, input: sandbox.registryHost });
    assert.deepEqual([refused.code, refused.stdout], [1, 'credentials not found in native keychain\n']);
    assert.match(refused.stderr, /^docker-credential-eidf: not logged in to .*: run docker-credential-eidf login\n$/);

    const relogin = await deviceLogin(env, sandbox, 'carol');
    assert.match(
      relogin.stderr,
      new RegExp(
        `registry secret: needs-web-login: run: docker-credential-eidf login --web \\(or log in at ${escape(sandbox.registryUrl)}/c/oidc/login`,
      ),
    );
    const report = await status(env);
    assert.equal(report.registrySecret.state, 'needs-web-login');
    assert.match(report.registrySecret.action ?? '', new RegExp(`${escape(sandbox.registryUrl)}/c/oidc/login`));
    const hinted = await runCli(['get'], { env, input: sandbox.registryHost });
    assert.deepEqual([hinted.code, hinted.stdout], [1, 'credentials not found in native keychain\n']);
    assert.equal(hinted.stderr.split('\n').filter(Boolean).length, 1, hinted.stderr);
    assert.match(hinted.stderr, new RegExp(`${escape(sandbox.registryUrl)}/c/oidc/login`));

    const web = startCli(['login', '--web', '--no-browser'], env);
    await waitFor(() => web.stderr().includes('/c/oidc/login') || undefined, 20_000, 'login --web to name the URL');
    await sandbox.webLogin('carol');
    const done = await web.done;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /the registry secret works again \(Harbor user carol\)/);
    const got = await runCli(['get'], { env, input: sandbox.registryHost });
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).Secret, secret, 'the same secret, revived');
  });
});

/** `login --no-browser` as a process, approving the printed URL as `user`. */
async function deviceLogin(env: NodeJS.ProcessEnv, sandbox: Sandbox, user: string): Promise<CliResult> {
  const login = startCli(['login', '--no-browser'], env);
  const url = await waitFor(() => login.stderr().match(/open:\r?\n\s+(http\S+)/)?.[1], 20_000, 'the login URL');
  await sandbox.approveDevice(url, user);
  const result = await login.done;
  assert.equal(result.code, 0, result.stderr);
  return result;
}

function startCli(args: string[], env: NodeJS.ProcessEnv): { stderr(): string; done: Promise<CliResult> } {
  const child = spawn(HELPER_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { stderr: () => stderr, done };
}

async function status(env: NodeJS.ProcessEnv): Promise<StatusReport> {
  const result = await runInProcess(['status', '--json'], { env });
  assert.ok(result.code === 0 || result.code === 4, result.stderr);
  return JSON.parse(result.stdout) as StatusReport;
}

/** Harbor's verdict on `user:secret` (the keeper's probe); it refreshes Harbor's stored token. */
async function probe(sandbox: Sandbox, user: string, secret: string): Promise<number> {
  const res = await fetch(`${sandbox.registryUrl}/service/token?service=harbor-registry`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` },
  });
  await res.body?.cancel();
  return res.status;
}

async function waitFor<T>(
  probeFn: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probeFn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
