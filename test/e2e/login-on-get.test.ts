import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { runCli } from '../helpers/cli.ts';
import { agentLog, LOGIN_URL, loginHome, startOnTerminal, status, USER_CODE, type Home } from './login-rig.ts';

const NOT_FOUND = 'credentials not found in native keychain\n';

/**
 * `get` without a session: a hint when nobody watches stderr (docker in a script, CI), a device
 * login right there when a person does (stderr on a terminal), shared by every `get` waiting.
 */
describe('get without a session', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  const credentialFor = () =>
    `${JSON.stringify({ ServerURL: sandbox.registryHost, Username: 'alice', Secret: sandbox.cliSecretOf('alice') })}\n`;
  const assertNoLogin = async () => {
    const { code, report } = await status(ctx.env);
    assert.equal(code, 4);
    assert.equal(report.session?.state, 'logged-out');
    assert.equal(report.session?.loginPrompt, null);
    assert.doesNotMatch(agentLog(ctx.home), /session: login/);
  };
  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, registry: false });
    ctx = loginHome(sandbox.env);
    assert.equal((await status(ctx.env)).code, 4); // the agent runs before any deadline below starts
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('stderr not a terminal: not-found on stdout, one hint line on stderr, promptly, no login', async () => {
    // Killed (code null) if it waits 5 s: a get that blocked on a login would fail here.
    const result = await runCli(['get'], { env: ctx.env, input: sandbox.registryHost, timeoutMs: 5_000 });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, NOT_FOUND);
    assert.match(result.stderr, /^[^\n]*docker-credential-eidf login[^\n]*\n$/);
    assert.equal(
      result.stderr,
      `docker-credential-eidf: not logged in to ${sandbox.registryHost}: run docker-credential-eidf login\n`,
    );
    await assertNoLogin();
  });

  it('stderr a terminal but EIDF_LOGIN_ON_GET=never: the same hint, no login', async () => {
    const get = startOnTerminal(['get'], {
      env: { ...ctx.env, EIDF_LOGIN_ON_GET: 'never' },
      input: sandbox.registryHost,
      dir: ctx.home,
    });
    const result = await get.done;
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, NOT_FOUND);
    assert.equal(
      result.stderr,
      `docker-credential-eidf: not logged in to ${sandbox.registryHost}: run docker-credential-eidf login\r\n`,
    );
    await assertNoLogin();
  });

  it('stderr a terminal: three gets join one device login and all answer the credential after approval', async () => {
    const gets = [0, 1, 2].map(() =>
      startOnTerminal(['get'], { env: ctx.env, input: sandbox.registryHost, dir: ctx.home }),
    );
    const codes = await Promise.all(gets.map(async (g) => (await g.waitForStderr(USER_CODE))[1]));
    assert.equal(new Set(codes).size, 1, `one login, one code: ${codes.join(', ')}`);
    const [, url] = await gets[0].waitForStderr(LOGIN_URL);
    const waiting = await status(ctx.env);
    assert.equal(waiting.report.session?.state, 'logging-in');
    assert.equal(waiting.report.session?.loginPrompt?.user_code, codes[0]);

    await sandbox.approveDevice(url, 'alice');
    const results = await Promise.all(gets.map((g) => g.done));
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, credentialFor(), 'stdout is the credential JSON only');
      assert.match(r.stderr, /To log in to .*, open:/);
    }
    assert.equal(results.filter((r) => r.stderr.includes('(joining the login already in progress)')).length, 2);
    assert.equal(agentLog(ctx.home).match(/ session: logged in as alice/g)?.length, 1, 'one login in the agent');
    const { code, report } = await status(ctx.env);
    assert.equal(code, 0);
    assert.equal(report.session?.username, 'alice');
  });

  it('once logged in, get answers at once, on a terminal or not', async () => {
    const plain = await runCli(['get'], { env: ctx.env, input: sandbox.registryHost, timeoutMs: 5_000 });
    assert.deepEqual(plain, { code: 0, stdout: credentialFor(), stderr: '' });
    const onTerminal = await startOnTerminal(['get'], { env: ctx.env, input: sandbox.registryHost, dir: ctx.home })
      .done;
    assert.deepEqual(onTerminal, { code: 0, stdout: credentialFor(), stderr: '' });
  });
});
