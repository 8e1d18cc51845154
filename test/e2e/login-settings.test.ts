import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { isolatedHome, runCli } from '../helpers/cli.ts';
import { agentLog, logInAs, startCli, status, storedRefreshToken, waitFor, type Home } from './login-rig.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * Issue 10, point 3, as real processes against the sandbox: without a keychain the session goes to
 * the 0600 file store and survives agent restarts; settings exported after the agent started make
 * the next command for people restart it (the protocol verbs use the agent that runs); an agent run
 * by systemd is never restarted by a command, which says what to run instead.
 */
describe('settings that hold', () => {
  let sandbox: Sandbox;
  const homes: Home[] = [];
  const home = (env: NodeJS.ProcessEnv) => {
    const ctx = isolatedHome({ EIDF_NO_BROWSER: '1', EIDF_DEBUG: '1', ...env });
    homes.push(ctx);
    return ctx;
  };
  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, registry: false });
  });
  after(async () => {
    for (const ctx of homes) await ctx.cleanup();
    await sandbox?.stop();
  });
  const approve = (url: string, user: string) => sandbox.approveDevice(url, user);

  it('no keychain: the 0600 file store, one warning at login, a status line naming the file, and the session outlives the agent', async () => {
    const ctx = home({ ...sandbox.env, EIDF_STORE: 'auto' });
    // A session bus address where nothing listens: no Secret Service, as on a headless VM.
    ctx.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(ctx.home, 'no-bus')}`;
    const file = join(ctx.home, 'secrets.json');

    const login = await logInAs(ctx.env, approve, 'alice');
    const warnings = login.stderr.split('\n').filter((line) => line.startsWith('warning: no usable keychain'));
    assert.deepEqual(warnings, [
      `warning: no usable keychain here, so the login is kept in ${file} (0600, readable by you only), as gh and gcloud do; EIDF_STORE=memory keeps nothing on disk (log in again after each agent restart)`,
    ]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(storedRefreshToken(ctx.home), 'the refresh token is in the file');

    const before = await status(ctx.env);
    assert.equal(before.code, 0);
    assert.equal(before.report.store.kind, 'file');
    assert.equal(before.report.store.path, file);
    const text = await runInProcess(['status'], { env: ctx.env });
    assert.match(
      text.stdout,
      new RegExp(
        `^ {2}store: +file \\(no usable keychain: (?!keychain unavailable).+; secrets in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(0600\\)\\)$`,
        'm',
      ),
    );

    // The agent stops (a reboot, an idle exit, an upgrade): the next command logs nobody out.
    assert.equal((await runInProcess(['daemon', 'stop'], { env: ctx.env })).code, 0);
    const afterRestart = await status(ctx.env);
    assert.notEqual(afterRestart.report.agent.pid, before.report.agent.pid);
    assert.equal(afterRestart.code, 0);
    assert.equal(afterRestart.report.session?.state, 'logged-in');
    assert.equal(afterRestart.report.session?.username, 'alice');
    assert.equal(afterRestart.report.registrySecret.state, 'valid');
  });

  it('settings exported after the agent started: login restarts the agent with them; get from a shell without them uses the running agent', async () => {
    const { EIDF_OIDC_ISSUER: _issuer, EIDF_OIDC_CLIENT_ID: _client, ...withoutOidc } = sandbox.env;
    const ctx = home({ ...withoutOidc, EIDF_STORE: 'file' });
    const plainEnv = { ...ctx.env };
    // An agent started before the OIDC settings were exported (by docker, or an earlier command).
    const first = await status(plainEnv);
    assert.equal(first.report.oidc, null);

    const exported = { ...ctx.env, ...sandbox.env };
    await logInAs(exported, approve, 'alice');
    assert.match(agentLog(ctx.home), / info agent stopping: a command runs with other settings$/m);
    const loggedIn = await status(exported);
    assert.notEqual(loggedIn.report.agent.pid, first.report.agent.pid, 'another agent answers');
    assert.equal(loggedIn.code, 0);
    assert.equal(loggedIn.report.oidc?.issuer, sandbox.issuer);

    // docker in a shell without the exports: the running agent answers, and keeps running.
    const get = await runCli(['get'], { env: plainEnv, input: sandbox.registryHost });
    assert.equal(get.code, 0, get.stdout);
    assert.equal(JSON.parse(get.stdout).Username, 'alice');
    assert.equal(get.stderr, '');
    assert.equal((await status(exported)).report.agent.pid, loggedIn.report.agent.pid, 'get restarted nothing');

    // A command with another setting restarts the agent again, and the session comes back from the store.
    const slower = { ...exported, EIDF_KEEPALIVE_SECONDS: '600' };
    const restarted = await status(slower);
    assert.notEqual(restarted.report.agent.pid, loggedIn.report.agent.pid);
    assert.equal(restarted.code, 0);
    assert.equal(restarted.report.session?.state, 'logged-in');
    assert.equal(restarted.report.session?.username, 'alice');
    assert.equal(
      agentLog(ctx.home).match(/ session: logged in as /g)?.length,
      1,
      'one login; the restarts restored it',
    );
  });

  it('an agent holding secrets in memory only (EIDF_STORE=memory) is not restarted: they would be lost', async () => {
    const ctx = home({ EIDF_STORE: 'memory' });
    const stored = await runCli(['store'], {
      env: ctx.env,
      input: '{"ServerURL":"reg.example","Username":"u","Secret":"s"}',
    });
    assert.equal(stored.code, 0);
    const refused = await runInProcess(['status'], { env: { ...ctx.env, EIDF_KEEPALIVE_SECONDS: '600' } });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^docker-credential-eidf: the agent runs with other settings than this command has, and restarting it would lose what it keeps in memory \(EIDF_STORE=memory\): .*daemon stop/,
    );
    assert.equal(
      (await runCli(['get'], { env: ctx.env, input: 'reg.example' })).stdout,
      '{"ServerURL":"reg.example","Username":"u","Secret":"s"}\n',
    );
  });

  it('an agent run by systemd is not restarted by a command with other settings: the command says what to run', async () => {
    const ctx = home({ ...sandbox.env, EIDF_STORE: 'file' });
    // systemd sets INVOCATION_ID in the unit's processes; this is `ExecStart=… daemon run`.
    const service = startCli(['daemon', 'run'], { env: { ...ctx.env, INVOCATION_ID: 'f00d' }, timeoutMs: 120_000 });
    await waitFor(
      () => existsSync(join(ctx.home, 'run', 'agent.sock')),
      20_000,
      () => service.stderr(),
    );
    const running = await status(ctx.env);
    assert.equal(running.report.agent.pid, service.child.pid);

    const other = { ...ctx.env, EIDF_KEEPALIVE_SECONDS: '600' };
    const refused = await runInProcess(['status'], { env: other });
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^docker-credential-eidf: the agent is the systemd service docker-credential-eidf, started with other settings than this command has; the service reads config\.json, not this shell's environment: .*then run: systemctl --user restart docker-credential-eidf/,
    );
    assert.equal(refused.stderr.split('\n').length, 2, 'one line');

    const doctor = await runInProcess(['doctor', '--json'], { env: other });
    const checks = (
      JSON.parse(doctor.stdout) as {
        checks: { name: string; status: string; message: string; action: string | null }[];
      }
    ).checks;
    const settings = checks.find((c) => c.name === 'settings');
    assert.deepEqual(
      checks.find((c) => c.name === 'agent-checks'),
      {
        name: 'agent-checks',
        status: 'fail',
        message: 'not run: the agent runs with other settings than this command (see settings)',
        action: null,
      },
    );
    assert.equal(settings?.status, 'fail');
    assert.match(settings.message, /EIDF_KEEPALIVE_SECONDS \(agent: 900, here: 600\)/);
    assert.match(settings.action!, /systemctl --user restart docker-credential-eidf/);

    // Still the same agent, and the protocol verbs use it whatever their environment.
    assert.equal((await status(ctx.env)).report.agent.pid, service.child.pid);
    assert.equal((await runCli(['list'], { env: other })).code, 0);
    assert.equal((await runInProcess(['daemon', 'stop'], { env: other })).code, 0);
    assert.equal((await service.done).code, 0);
  });
});
