import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import {
  agentLog,
  LOGIN_URL,
  startCli,
  startOnTerminal,
  status,
  storedRefreshToken,
  USER_CODE,
  waitFor,
  type Home,
  useSandboxAndHome,
} from './login-rig.ts';

/** A device login that does not end in approval: Ctrl-C, and a code that expires. */
describe('login stopped by Ctrl-C', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  let cancelledCode: string | undefined;
  useSandboxAndHome((s, h) => {
    sandbox = s;
    ctx = h;
  });

  it('SIGINT: one line, exit 2, and the agent has no login in progress', async () => {
    const login = startCli(['login', '--no-browser'], { env: ctx.env });
    const [, code] = await login.waitForStderr(USER_CODE);
    cancelledCode = code;
    await login.waitForStderr(/Ctrl-C cancels\.\n/);
    const before = login.stderr();
    assert.equal((await status(ctx.env)).report.session?.loginPrompt?.user_code, code, 'the login is waiting');

    login.child.kill('SIGINT');
    const result = await login.done;
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.slice(before.length), 'docker-credential-eidf: login cancelled\n');

    // The agent learns of it when the connection closes; poll rather than race it.
    const after = await waitFor(
      async () => {
        const s = await status(ctx.env);
        return s.report.session?.state === 'logged-out' ? s : undefined;
      },
      10_000,
      () => 'the agent still shows a login in progress',
    );
    assert.equal(after.code, 4);
    assert.equal(after.report.session?.loginPrompt, null);
    assert.equal(storedRefreshToken(ctx.home), undefined);
    assert.match(agentLog(ctx.home), / session: login failed: the login was cancelled/);
  });

  it('a new login afterwards gets a new code', async () => {
    const first = (await status(ctx.env)).report;
    assert.equal(first.session?.loginPrompt, null);
    const login = startCli(['login', '--no-browser'], { env: ctx.env });
    const [, url] = await login.waitForStderr(LOGIN_URL);
    const [, code] = await login.waitForStderr(USER_CODE);
    assert.ok(cancelledCode);
    assert.notEqual(code, cancelledCode);
    assert.doesNotMatch(login.stderr(), /joining the login already in progress/);
    await sandbox.approveDevice(url, 'alice');
    const result = await login.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await status(ctx.env)).report.session?.username, 'alice');
  });
});

describe('Ctrl-C typed on the terminal of a login that started the agent', () => {
  let ctx: Home;
  useSandboxAndHome((_sandbox, home) => {
    ctx = home;
  });

  it('stops the login (exit 2, one line); the agent, outside the terminal, lives on with no login', async () => {
    // No agent yet: this login starts it, from inside the terminal's session.
    const login = startOnTerminal(['login', '--no-browser'], { env: ctx.env, input: '', dir: ctx.home });
    await login.waitForStderr(/Ctrl-C cancels\.\r\n/);
    const agentPid = (await status(ctx.env)).report.agent.pid;
    const before = login.stderr();
    login.child.stdin!.write('\x03'); // the terminal sends SIGINT to its whole foreground group
    const result = await login.done;
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr.slice(before.length), /^(\^C)?docker-credential-eidf: login cancelled\r\n$/);

    const after = await waitFor(
      async () => {
        const s = await status(ctx.env);
        return s.report.session?.state === 'logged-out' ? s : undefined;
      },
      10_000,
      () => 'the agent still shows a login in progress',
    );
    assert.equal(after.report.agent.pid, agentPid, 'the same agent answers: Ctrl-C did not reach it');
    assert.equal(after.report.session?.loginPrompt, null);
  });
});

describe('login whose device code expires', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  useSandboxAndHome(
    (s, h) => {
      sandbox = s;
      ctx = h;
    },
    { deviceCodeTtl: 2 },
  );

  it('ends with one line and exit 4; nothing is stored, no login left in progress', async () => {
    const login = startCli(['login', '--no-browser'], { env: ctx.env });
    const [, url] = await login.waitForStderr(LOGIN_URL);
    const result = await login.done;
    assert.equal(result.code, 4, result.stderr);
    assert.equal(result.stdout, '');
    const tail = result.stderr.slice(result.stderr.indexOf('Ctrl-C cancels.\n') + 'Ctrl-C cancels.\n'.length);
    assert.equal(
      tail,
      'docker-credential-eidf: the login code expired before it was approved; start the login again\n',
    );

    const { code, report } = await status(ctx.env);
    assert.equal(code, 4);
    assert.equal(report.session?.state, 'logged-out');
    assert.equal(report.session?.loginPrompt, null);
    assert.equal(report.session?.lastError?.code, 'LOGIN_EXPIRED');
    assert.equal(storedRefreshToken(ctx.home), undefined);

    // The IdP agrees: approving the old code now fails, and changes nothing here.
    await assert.rejects(sandbox.approveDevice(url, 'alice'));
    assert.equal((await status(ctx.env)).report.session?.state, 'logged-out');
  });
});
