import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { runCli } from '../helpers/cli.ts';
import { agentLog, loginHome, startOnTerminal, status, waitFor, type Home } from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

const NOT_FOUND = 'credentials not found in native keychain\n';

/**
 * Issue 10, EIDF as it is today: no OIDC issuer or client is known, so `login` is the secret
 * login (username and CLI secret typed on a terminal, checked by Harbor before anything is
 * stored). Real processes on a real pty (util-linux `script`), the sandbox's Harbor and IdP.
 */
describe('secret login without an OIDC issuer (on a terminal)', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  const secret = () => sandbox.cliSecretOf('alice') as string;
  /** `login` with stdin and stderr on the terminal; answers typed once each prompt shows. */
  const loginOnTerminal = async (answers: Array<[RegExp, string]>) => {
    const login = startOnTerminal(['login'], { env: ctx.env, input: '', dir: ctx.home, stdinOnTerminal: true });
    for (const [prompt, typed] of answers) {
      await login.waitForStderr(prompt);
      login.child.stdin!.write(typed);
    }
    return login.done;
  };

  before(async () => {
    sandbox = await startSandbox({ registry: false, cliOidc: false });
    ctx = loginHome(sandbox.env);
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('no terminal and no --secret-stdin: exit 2 saying so, nothing started', async () => {
    const result = await runInProcess(['login'], { env: ctx.env, input: '' });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /no terminal to ask for the CLI secret on: pipe it in with --secret-stdin --username/);
  });

  it('a wrong secret: "Harbor refused user alice with this secret", exit 1, nothing stored', async () => {
    const result = await loginOnTerminal([
      [/Harbor username: $/, 'alice\r'],
      [/CLI secret \(not shown\): $/, 'Wrong-Secret-123\r'],
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /User Profile → CLI secret/);
    assert.match(result.stderr, /docker-credential-eidf: Harbor refused user alice with this secret/);
    assert.doesNotMatch(result.stderr, /Wrong-Secret-123/, 'the secret is not echoed');
    assert.doesNotMatch(result.stderr, /session/);
    const { code, report } = await status(ctx.env);
    assert.equal(code, 4);
    assert.equal(report.registrySecret.state, 'no-credential');
  });

  it('the right secret: stored, valid since the login, the mode explained; the secret never shown', async () => {
    const result = await loginOnTerminal([
      [/Harbor username: $/, 'alice\r'],
      [/CLI secret \(not shown\): $/, `${secret()}\r`],
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Harbor username: alice\r\n/, 'the username is echoed');
    assert.ok(!result.stderr.includes(secret()), 'the secret is not echoed');
    assert.match(result.stderr, /as Harbor user alice: the CLI secret is stored and kept alive by the agent/);
    const { code, report } = await status(ctx.env);
    assert.equal(code, 0);
    assert.equal(report.registrySecret.state, 'valid');
    assert.equal(report.registrySecret.mode, 'stored-secret');
    assert.ok(report.registrySecret.validSince !== null && Date.parse(report.registrySecret.validSince) <= Date.now());
    const human = await runInProcess(['status'], { env: ctx.env });
    assert.match(human.stdout, /^✓ logged in as Harbor user alice with the CLI secret$/m);
    assert.match(
      human.stdout,
      /^✓ pulls work: the registry secret of Harbor user alice is valid since (\d+ s ago|just now)$/m,
    );
    assert.match(human.stdout, /^ {2}next login: +renews itself; next login needed: unknown \(when Harbor ends/m);
    assert.match(human.stdout, /mode: +CLI secret: no OIDC issuer configured/);
    assert.match(human.stdout, /to switch: +set EIDF_OIDC_ISSUER and EIDF_OIDC_CLIENT_ID/);
    const got = await runCli(['get'], { env: ctx.env, input: sandbox.registryHost });
    assert.equal(JSON.parse(got.stdout).Secret, secret());
  });

  it('the next login offers the last username; a refused secret then leaves the working one in place', async () => {
    const before = (await status(ctx.env)).report.registrySecret;
    // Already logged in: asked first (issue 11); "y" goes on with a new login.
    const result = await loginOnTerminal([
      [/^already logged in to \S+ as Harbor user alice with the CLI secret\. Log in again\? \[y\/N\] $/m, 'y\r'],
      [/Harbor username \[alice\]: $/, '\r'],
      [/CLI secret \(not shown\): $/, 'Wrong-Secret-456\r'],
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Harbor refused user alice with this secret/);
    const after = (await status(ctx.env)).report.registrySecret;
    assert.equal(after.state, 'valid');
    assert.equal(after.validSince, before.validSince);
    const got = await runCli(['get'], { env: ctx.env, input: sandbox.registryHost });
    assert.equal(JSON.parse(got.stdout).Secret, secret());
  });

  it('Ctrl-C at the secret prompt: exit 2, the terminal left as it was', async () => {
    const result = await loginOnTerminal([
      [/Log in again\? \[y\/N\] $/, 'yes\r'],
      [/Harbor username \[alice\]: $/, '\r'],
      [/CLI secret \(not shown\): $/, 'abc\x03'],
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /login cancelled/);
  });
});

/**
 * Issue 10, the EIDF world the registry's FAQ describes: Harbor holds no refresh token for the
 * IdP (no `offline_access`, no `prompt=consent`), so a CLI secret dies when Harbor's stored access
 * token expires. The agent notices (two refusals), `status` says since when and what fixes it, and
 * `get` on a terminal offers the web login and answers once the same secret works again. Harbor's
 * stored token is made to expire at once (sandbox hook) rather than waited out; the agent checks
 * every second.
 */
describe('a secret Harbor cannot keep alive: notice at once, revive in one step', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  let original: string;

  before(async () => {
    sandbox = await startSandbox({
      registry: false,
      cliOidc: false,
      harborRefreshToken: false,
      consentPrompt: false,
      onboarded: [],
    });
    ctx = loginHome(sandbox.env, { EIDF_KEEPALIVE_SECONDS: '1' });
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  /** Harbor's stored token expires; resolves with `status` once the agent has found the secret dead. */
  const dies = () => {
    sandbox.expireHarborToken('alice');
    return waitFor(
      async () => {
        const { report } = await status(ctx.env);
        return report.registrySecret.state === 'needs-web-login' ? report : undefined;
      },
      20_000,
      () => 'the agent never found the secret dead',
    );
  };

  it('secret login right after a web login, then Harbor stops accepting it: status says since when and login --web', async () => {
    await sandbox.webLogin('alice');
    original = sandbox.cliSecretOf('alice') as string;
    const stored = await runInProcess(['login', '--secret-stdin', '--username', 'alice'], {
      env: ctx.env,
      input: `${original}\n`,
    });
    assert.equal(stored.code, 0, stored.stderr);
    const report = await dies();
    const secret = report.registrySecret;
    assert.equal(secret.username, 'alice');
    assert.ok(
      secret.deadSince !== null &&
        secret.lastValidAt !== null &&
        Date.parse(secret.deadSince) > Date.parse(secret.lastValidAt),
    );
    assert.match(secret.action ?? '', /^run: docker-credential-eidf login --web/);
    const human = await runInProcess(['status'], { env: ctx.env });
    assert.equal(human.code, 4);
    assert.match(
      human.stdout,
      /^✗ pulls fail: Harbor refuses the registry secret of Harbor user alice, dead since \d+ (s|min) ago$/m,
    );
    assert.match(human.stdout, /^ {2}to fix: +docker-credential-eidf login --web/m);
    assert.match(agentLog(ctx.home), /Harbor refused the registry secret once; asking again shortly/);
  });

  it('get elsewhere: one hint line and not-found at once', async () => {
    const result = await runCli(['get'], { env: ctx.env, input: sandbox.registryHost, timeoutMs: 5_000 });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, NOT_FOUND);
    assert.match(
      result.stderr,
      /^docker-credential-eidf: the registry secret for \S+ no longer works: run: docker-credential-eidf login --web[^\n]*\n$/,
    );
  });

  it('get on a terminal offers the web login, waits, and answers with the same secret once it works again', async () => {
    const get = startOnTerminal(['get'], { env: ctx.env, input: sandbox.registryHost, dir: ctx.home });
    await get.waitForStderr(/Log in to Harbor on the web to bring the registry secret back: \S+\/c\/oidc\/login/);
    await get.waitForStderr(/Ctrl-C stops waiting/);
    await sandbox.webLogin('alice'); // what the person does in the browser
    const result = await get.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      `${JSON.stringify({ ServerURL: sandbox.registryHost, Username: 'alice', Secret: original })}\n`,
    );
    assert.equal(sandbox.cliSecretOf('alice'), original, 'the same secret, not a new one');
    assert.match(result.stderr, /the registry secret works again/);
    const { report } = await status(ctx.env);
    assert.equal(report.registrySecret.state, 'valid');
    assert.equal(report.registrySecret.deadSince, null);
  });

  it('two gets at once when it died again: one browser window at /c/oidc/login, both answer after the web login', async () => {
    await dies();
    const opened = join(ctx.home, 'opened.txt');
    const browser = join(ctx.home, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> "${opened}"\n`);
    chmodSync(browser, 0o755);
    const env: NodeJS.ProcessEnv = { ...ctx.env, DISPLAY: ':99', BROWSER: browser };
    delete env.EIDF_NO_BROWSER;
    const gets = [0, 1].map(() => startOnTerminal(['get'], { env, input: sandbox.registryHost, dir: ctx.home }));
    for (const get of gets) await get.waitForStderr(/Ctrl-C stops waiting/);
    await sandbox.webLogin('alice');
    for (const result of await Promise.all(gets.map((g) => g.done))) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).Secret, original);
    }
    assert.equal(readFileSync(opened, 'utf8'), `${sandbox.registryUrl}/c/oidc/login\n`);
  });

  it('when it dies again, a cancelled wait pauses the offer: the next get on a terminal says so at once', async () => {
    await dies();
    const first = startOnTerminal(['get'], { env: ctx.env, input: sandbox.registryHost, dir: ctx.home });
    await first.waitForStderr(/Ctrl-C stops waiting/);
    first.child.stdin!.write('\x03');
    const cancelled = await first.done;
    assert.equal(cancelled.code, 1);
    assert.equal(cancelled.stdout, NOT_FOUND);
    assert.match(
      cancelled.stderr,
      /no new login prompt from get until \d\d:\d\d:\d\d UTC; run docker-credential-eidf login --web meanwhile/,
    );
    const second = await startOnTerminal(['get'], { env: ctx.env, input: sandbox.registryHost, dir: ctx.home }).done;
    assert.equal(second.code, 1);
    assert.equal(second.stdout, NOT_FOUND);
    assert.doesNotMatch(second.stderr, /Log in to Harbor on the web/);
    assert.match(
      second.stderr,
      /^docker-credential-eidf: the registry secret [^\n]*\(no new login prompt from get until \d\d:\d\d:\d\d UTC\)\r\n$/,
    );
  });
});

/**
 * Issue 10 point 4, get side: a device login that `get` starts on a terminal is bounded, and after
 * it was cancelled or ran out, `get` starts no other for 10 minutes (a `docker build` on a terminal
 * asks the helper for every configured registry). Device codes live 2 s here.
 */
describe('get on a terminal: a device prompt that ran out pauses new ones', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  before(async () => {
    sandbox = await startSandbox({ registry: false, devicePollInterval: 0.05, deviceCodeTtl: 2 });
    ctx = loginHome(sandbox.env);
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('the prompt expires: not-found, and the next get on a terminal starts no login', async () => {
    const first = await startOnTerminal(['get'], { env: ctx.env, input: sandbox.registryHost, dir: ctx.home }).done;
    assert.equal(first.code, 1, first.stderr);
    assert.equal(first.stdout, NOT_FOUND);
    assert.match(first.stderr, /shows the code: /);
    assert.match(
      first.stderr,
      /no new login prompt from get until \d\d:\d\d:\d\d UTC; run docker-credential-eidf login meanwhile/,
    );
    const second = await startOnTerminal(['get'], { env: ctx.env, input: sandbox.registryHost, dir: ctx.home }).done;
    assert.equal(second.code, 1);
    assert.equal(second.stdout, NOT_FOUND);
    assert.doesNotMatch(second.stderr, /shows the code/);
    assert.match(
      second.stderr,
      /^docker-credential-eidf: not logged in to \S+: run docker-credential-eidf login \(no new login prompt from get until \d\d:\d\d:\d\d UTC\)\r\n$/,
    );
    const { report } = await status(ctx.env);
    assert.equal(report.session?.state, 'logged-out', 'no login in progress in the agent');
    assert.equal(report.session?.loginPrompt, null);
  });
});
