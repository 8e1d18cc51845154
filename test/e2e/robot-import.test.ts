import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import type { StatusReport } from '../../src/cli/commands/status.ts';
import { REPO_ROOT, runProcess } from '../helpers/cli.ts';
import { runInProcess } from '../helpers/headless.ts';
import { call, bearer, deviceLogin } from '../sandbox/helpers.ts';
import { agentLog, loginHome, type Home } from './login-rig.ts';

/**
 * Issue 10 §5, as real processes: bob is not a project admin of `demo` (like EIDF's maintainers he
 * may list robots but not create them). A robot alice (the "helpdesk") made is given to him: `robot
 * import` probes and keeps its secret, `export-k8s --robot` uses it, `robot list` and `status` show
 * its expiry and warn 14 days ahead, `docker logout` keeps it, and a refused creation says what to do.
 */
describe('robots for maintainers: import, export, expiry warnings', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  let env: NodeJS.ProcessEnv;
  let given: { id: number; name: string; secret: string };

  /** A project robot made by alice (project admin) through Harbor's API, as the helpdesk would. */
  const helpdeskRobot = async (name: string, days: number) => {
    const aliceToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
    const made = await call(sandbox, 'POST', '/api/v2.0/robots', {
      auth: bearer(aliceToken),
      body: {
        name,
        level: 'project',
        duration: days,
        permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }] }],
      },
    });
    assert.equal(made.status, 201, made.text);
    return made.json as { id: number; name: string; secret: string };
  };

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, autoApprove: 'bob', registry: false });
    ctx = loginHome(sandbox.env);
    env = {
      ...ctx.env,
      PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
      DOCKER_CONFIG: join(ctx.home, 'docker'),
      DOCKER_HOST: `unix://${join(ctx.home, 'no-engine.sock')}`,
    };
    assert.equal((await runInProcess(['setup'], { env })).code, 0);
    const login = await runInProcess(['login', '--no-browser'], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /Harbor user bob/);
    given = await helpdeskRobot('helpdesk-pull', 10);
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('robot create as a non-admin: says who can, about robot import, and about --user with its limits', async () => {
    const refused = await runInProcess(['robot', 'create', 'mine', '--project', 'demo'], { env });
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /only admins of project "demo" \(the project owner is alice\) can create robot accounts/,
    );
    assert.match(refused.stderr, /robot import NAME --project demo --secret-stdin/);
    assert.match(refused.stderr, /export-k8s --user \(it stops working when your Harbor login session ends/);
  });

  it('robot import refuses a wrong secret (probed first) and keeps nothing', async () => {
    const wrong = await runInProcess(['robot', 'import', 'helpdesk-pull', '--project', 'demo', '--secret-stdin'], {
      env,
      input: 'Not-The-Secret-1\n',
    });
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /Harbor does not accept that secret for robot\$demo\+helpdesk-pull.*nothing was stored/);
    assert.ok(!readFileSync(join(ctx.home, 'secrets.json'), 'utf8').includes('robot:'), 'something was kept');
    const noFlag = await runInProcess(['robot', 'import', 'helpdesk-pull', '--project', 'demo'], {
      env,
      input: `${given.secret}\n`,
    });
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.stderr, /--secret-stdin/);
  });

  it('robot import keeps a working secret; export-k8s --robot uses it; robot list shows its expiry and warns', async () => {
    const imported = await runInProcess(['robot', 'import', 'helpdesk-pull', '--project', 'demo', '--secret-stdin'], {
      env,
      input: `${given.secret}\n`,
    });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stdout,
      /imported the secret of robot robot\$demo\+helpdesk-pull \(Harbor accepts it\), expires \d{4}-\d\d-\d\d \(in (9|10) days\)/,
    );
    assert.match(imported.stderr, /warning: robot robot\$demo\+helpdesk-pull expires within 14 days/);
    assert.match(
      agentLog(ctx.home),
      /imported the secret of robot\$demo\+helpdesk-pull \(id \d+\); probe: Harbor accepts it/,
    );
    assert.ok(!agentLog(ctx.home).includes(given.secret));

    const exported = await runInProcess(
      ['export-k8s', '--namespace', 'ns', '--project', 'demo', '--robot', 'helpdesk-pull'],
      { env },
    );
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /using robot robot\$demo\+helpdesk-pull/);
    const config = JSON.parse(
      Buffer.from(
        (parse(exported.stdout) as { data: Record<string, string> }).data['.dockerconfigjson'],
        'base64',
      ).toString('utf8'),
    );
    assert.deepEqual(
      [config.auths[sandbox.registryHost].username, config.auths[sandbox.registryHost].password],
      ['robot$demo+helpdesk-pull', given.secret],
    );

    const list = await runInProcess(['robot', 'list', '--project', 'demo'], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /helpdesk-pull\s+robot\$demo\+helpdesk-pull\s+\d{4}-\d\d-\d\d \(in (9|10) days\)\s+expiring\s+kept/,
    );
    assert.match(list.stderr, /warning: robot robot\$demo\+helpdesk-pull expires within 14 days/);
  });

  it('status warns 14 days ahead about a kept robot, and says nothing about one with a long life', async () => {
    const human = await runInProcess(['status'], { env });
    assert.match(
      human.stdout,
      /^ {2}robot: +robot\$demo\+helpdesk-pull, secret kept, expires \d{4}-\d\d-\d\d \(in 10 days\): ask a project admin to extend or replace it$/m,
    );
    const json = await runInProcess(['status', '--json'], { env });
    const report = JSON.parse(json.stdout) as StatusReport;
    assert.deepEqual(
      report.robots.map((r) => r.fullName),
      ['robot$demo+helpdesk-pull'],
    );
    assert.ok(Math.abs((report.robots[0].expiresAt as number) - (Date.now() + 10 * 86_400_000)) < 86_400_000);
    // A long-lived robot imported too: kept, listed in status, no warning for it.
    const longLived = await helpdeskRobot('ci-pull', 90);
    assert.equal(
      (
        await runInProcess(['robot', 'import', 'ci-pull', '--project', 'demo', '--secret-stdin'], {
          env,
          input: longLived.secret,
        })
      ).code,
      0,
    );
    const again = await runInProcess(['status'], { env });
    assert.match(
      again.stdout,
      /^ {2}robot: +robot\$demo\+ci-pull, secret kept, expires \d{4}-\d\d-\d\d \(in 90 days\)$/m,
    );
    assert.equal(again.stderr, '');
    assert.equal(
      (JSON.parse((await runInProcess(['status', '--json'], { env })).stdout) as StatusReport).robots.length,
      2,
    );
  });

  it('docker logout ends the session but keeps the robot secrets', async () => {
    const logout = await runProcess('docker', ['logout', sandbox.registryHost], { env });
    assert.equal(logout.code, 0, logout.stderr);
    const json = await runInProcess(['status', '--json'], { env });
    assert.equal(json.code, 4);
    const report = JSON.parse(json.stdout) as StatusReport;
    assert.equal(report.session?.state, 'logged-out');
    assert.deepEqual(
      report.robots.map((r) => r.fullName),
      ['robot$demo+ci-pull', 'robot$demo+helpdesk-pull'],
    );
    assert.match(readFileSync(join(ctx.home, 'secrets.json'), 'utf8'), /robot\$demo\+helpdesk-pull/);
  });
});

/**
 * The real EIDF on day one: no device login is configured, the user stored a CLI secret with `docker
 * login -u` (stored-secret mode, probe in the agent log). Harbor's robot API needs a login, so `robot
 * import` can only probe the secret, and `export-k8s --robot` uses what is kept.
 */
describe('robots without a login (stored-secret mode)', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  let env: NodeJS.ProcessEnv;
  let given: { secret: string };

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05 });
    ctx = loginHome({ EIDF_REGISTRY: sandbox.env.EIDF_REGISTRY, EIDF_ALLOW_INSECURE_LOOPBACK: '1' });
    env = {
      ...ctx.env,
      PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
      DOCKER_CONFIG: join(ctx.home, 'docker'),
      DOCKER_HOST: `unix://${join(ctx.home, 'no-engine.sock')}`,
    };
    assert.equal((await runInProcess(['setup'], { env })).code, 0);
    const aliceToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
    const made = await call(sandbox, 'POST', '/api/v2.0/robots', {
      auth: bearer(aliceToken),
      body: {
        name: 'helpdesk-pull',
        level: 'project',
        duration: 30,
        permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }] }],
      },
    });
    assert.equal(made.status, 201, made.text);
    given = made.json as { secret: string };
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('docker login -u bob lands in stored-secret mode, with the probe in the agent log', async () => {
    const login = await runProcess('docker', ['login', '-u', 'bob', '--password-stdin', sandbox.registryHost], {
      env,
      input: sandbox.cliSecretOf('bob'),
    });
    assert.equal(login.code, 0, login.stderr);
    const report = JSON.parse((await runInProcess(['status', '--json'], { env })).stdout) as StatusReport;
    assert.deepEqual(
      [report.registrySecret.state, report.registrySecret.mode, report.registrySecret.username],
      ['valid', 'stored-secret', 'bob'],
    );
    assert.match(report.registrySecret.modeReason ?? '', /no OIDC issuer configured/);
    assert.match(
      agentLog(ctx.home),
      /stored a credential for \S+ \(user bob\); probe: Harbor accepts it; registry secret now valid for bob \(stored-secret: /,
    );
  });

  it('robot import without a login: probed, kept with expiry unknown; a wrong secret is refused', async () => {
    const wrong = await runInProcess(['robot', 'import', 'helpdesk-pull', '--project', 'demo', '--secret-stdin'], {
      env,
      input: 'Not-The-Secret-1',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Harbor does not accept that secret for robot\$demo\+helpdesk-pull/);
    const imported = await runInProcess(['robot', 'import', 'helpdesk-pull', '--project', 'demo', '--secret-stdin'], {
      env,
      input: given.secret,
    });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stdout,
      /imported the secret of robot robot\$demo\+helpdesk-pull \(Harbor accepts it\), expiry unknown/,
    );
    assert.match(
      agentLog(ctx.home),
      /imported the secret of robot\$demo\+helpdesk-pull without a login; probe: Harbor accepts it/,
    );
  });

  it('export-k8s --robot uses the kept secret; a robot with nothing kept says how to import one', async () => {
    const exported = await runInProcess(
      ['export-k8s', '--namespace', 'ns', '--project', 'demo', '--robot', 'helpdesk-pull'],
      { env },
    );
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /using robot robot\$demo\+helpdesk-pull, expiry unknown/);
    const config = JSON.parse(
      Buffer.from(
        (parse(exported.stdout) as { data: Record<string, string> }).data['.dockerconfigjson'],
        'base64',
      ).toString('utf8'),
    );
    assert.equal(config.auths[sandbox.registryHost].password, given.secret);
    const missing = await runInProcess(['export-k8s', '--namespace', 'ns', '--project', 'demo', '--robot', 'other'], {
      env,
    });
    assert.equal(missing.code, 4);
    assert.match(
      missing.stderr,
      /no secret is kept for robot\$demo\+other.*robot import other --project demo --secret-stdin/,
    );
    assert.equal(missing.stdout, '');
  });
});
