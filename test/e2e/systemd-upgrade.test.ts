import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/version.ts';
import { SERVICE_RESTART_EXIT } from '../../src/agent/service-restart.ts';
import { HELPER_BIN, isolatedHome, REPO_ROOT, runCli, runProcess, type CliResult } from '../helpers/cli.ts';
import { waitFor, type Home } from './login-rig.ts';

/**
 * An upgrade under `install.sh --systemd`, with real processes: the unit runs `ExecStart=<link>
 * daemon run` with Restart=on-failure. systemd does not run here, so `service()` below does for
 * that one unit what systemd does: runs ExecStart with INVOCATION_ID set, and starts it again
 * (after RestartSec's default 100 ms) when it exits non-zero, not when it exits 0.
 */
const OLD_VERSION = '0.0.9-old';

interface Service {
  runs: { pid: number; exit: Promise<number | null> }[];
  stop(): Promise<void>;
}

function service(link: string, env: NodeJS.ProcessEnv, restart: boolean, restartSecMs = 100): Service {
  const runs: Service['runs'] = [];
  let stopped = false;
  const start = () => {
    const child = spawn(link, ['daemon', 'run'], {
      env: { ...env, INVOCATION_ID: `f00d${runs.length}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.resume();
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    runs.push({ pid: child.pid!, exit });
    void exit.then((code) => {
      if (restart && !stopped && code !== 0) setTimeout(start, restartSecMs);
    });
  };
  start();
  return {
    runs,
    async stop() {
      stopped = true;
      const last = runs.at(-1)!;
      try {
        process.kill(last.pid, 'SIGTERM');
      } catch {
        // it has ended already
      }
      await last.exit;
    },
  };
}

describe('the agent as a systemd service follows an upgrade', () => {
  let oldInstall: string;
  const homes: Home[] = [];
  before(() => {
    // The installation before the upgrade: this checkout with another version number.
    oldInstall = mkdtempSync(join(tmpdir(), 'eidf-old-'));
    for (const part of ['bin', 'src', 'package.json'])
      cpSync(join(REPO_ROOT, part), join(oldInstall, part), { recursive: true });
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(oldInstall, 'node_modules'));
    const versionFile = join(oldInstall, 'src', 'version.ts');
    writeFileSync(versionFile, readFileSync(versionFile, 'utf8').replace(`'${VERSION}'`, `'${OLD_VERSION}'`));
  });
  after(async () => {
    for (const ctx of homes) await ctx.cleanup();
    rmSync(oldInstall, { recursive: true, force: true });
  });

  /** A home whose `~/.local/bin/docker-credential-eidf` links to the old installation, as install.sh leaves it. */
  const installedHome = () => {
    const ctx = isolatedHome({ EIDF_STORE: 'file' });
    homes.push(ctx);
    const link = join(ctx.home, 'bin', 'docker-credential-eidf');
    mkdirSync(join(ctx.home, 'bin'));
    symlinkSync(join(oldInstall, 'bin', 'docker-credential-eidf'), link);
    const upgrade = () => {
      rmSync(link);
      symlinkSync(HELPER_BIN, link);
    };
    return { ctx, link, upgrade };
  };
  const statusJson = async (result: CliResult) => {
    assert.equal(result.code, 4, result.stderr); // not logged in: nobody is, here
    return JSON.parse(result.stdout) as { agent: { version: string; pid: number } };
  };
  const socketOf = (ctx: Home) => join(ctx.home, 'run', 'agent.sock');

  it('the unit install.sh writes restarts the agent when it exits non-zero', () => {
    const unit =
      /cat > "\$unit" <<UNIT\n([\s\S]*?)\nUNIT\n/.exec(readFileSync(join(REPO_ROOT, 'install.sh'), 'utf8'))?.[1] ?? '';
    assert.match(unit, /^ExecStart=\$link daemon run$/m);
    assert.match(unit, /^Restart=on-failure$/m);
  });

  it('after an upgrade the first command makes the old agent exit non-zero, and gets the new one from systemd, not a detached one', async () => {
    const { ctx, link, upgrade } = installedHome();
    const unit = service(link, ctx.env, true);
    try {
      await waitFor(
        () => existsSync(socketOf(ctx)),
        20_000,
        () => 'the service agent did not start',
      );
      const before = await statusJson(await runProcess(link, ['status', '--json'], { env: ctx.env }));
      assert.deepEqual([before.agent.version, before.agent.pid], [OLD_VERSION, unit.runs[0].pid]);

      upgrade();
      const after = await statusJson(await runCli(['status', '--json'], { env: ctx.env }));
      assert.equal(
        await unit.runs[0].exit,
        SERVICE_RESTART_EXIT,
        'the old agent exits non-zero, so Restart=on-failure applies',
      );
      assert.equal(unit.runs.length, 2);
      assert.deepEqual(
        [after.agent.version, after.agent.pid],
        [VERSION, unit.runs[1].pid],
        'the agent systemd started again answers',
      );
      assert.equal(
        existsSync(join(ctx.home, 'agent.log')),
        false,
        'no detached agent was started (it would log there)',
      );

      // A command of the old installation (a second copy on PATH, say): the service restarts once,
      // comes back as the same version, and then says so instead of restarting on every command.
      const stale = await runProcess(join(oldInstall, 'bin', 'docker-credential-eidf'), ['status'], { env: ctx.env });
      assert.equal(stale.code, 1);
      assert.match(
        stale.stderr,
        new RegExp(
          `^docker-credential-eidf: the agent is the systemd service docker-credential-eidf, version ${VERSION.replace(/\./g, '\\.')}, and restarting it brought back version .*, not ${OLD_VERSION} .*systemctl --user restart docker-credential-eidf\\n$`,
        ),
      );
      assert.equal(await unit.runs[1].exit, SERVICE_RESTART_EXIT);
      assert.equal(unit.runs.length, 3);
      const again = await runProcess(join(oldInstall, 'bin', 'docker-credential-eidf'), ['status'], { env: ctx.env });
      assert.equal(again.stderr, stale.stderr);
      assert.equal(unit.runs.length, 3, 'no further restart');
      const current = await statusJson(await runCli(['status', '--json'], { env: ctx.env }));
      assert.equal(current.agent.pid, unit.runs[2].pid);
      assert.equal(existsSync(join(ctx.home, 'agent.log')), false, 'still no detached agent');
    } finally {
      await unit.stop();
    }
    assert.equal(await unit.runs.at(-1)!.exit, 0, 'a stop by signal exits 0: systemctl stop is not a failure');
  });

  it('a command that finds no agent while the service restarts waits for the service, and starts none of its own', async () => {
    const { ctx, link, upgrade } = installedHome();
    // RestartSec=2: a window in which the socket is gone.
    const unit = service(link, ctx.env, true, 2_000);
    try {
      await waitFor(
        () => existsSync(socketOf(ctx)),
        20_000,
        () => 'the service agent did not start',
      );
      upgrade();
      const first = runCli(['status', '--json'], { env: ctx.env });
      assert.equal(await unit.runs[0].exit, SERVICE_RESTART_EXIT);
      assert.equal(existsSync(socketOf(ctx)), false, 'in the restart window');
      const store = await runCli(['store'], {
        env: ctx.env,
        input: '{"ServerURL":"reg.example","Username":"u","Secret":"s"}',
      });
      assert.deepEqual(store, { code: 0, stdout: '', stderr: '' });
      assert.equal(unit.runs.length, 2);
      assert.equal((await statusJson(await first)).agent.pid, unit.runs[1].pid);
      assert.equal(
        (await statusJson(await runCli(['status', '--json'], { env: ctx.env }))).agent.pid,
        unit.runs[1].pid,
      );
      assert.equal(existsSync(join(ctx.home, 'agent.log')), false, 'no detached agent was started');
      assert.equal(
        existsSync(join(ctx.home, 'run', 'service-restarting')),
        false,
        'the marker is gone once an agent listens',
      );
    } finally {
      await unit.stop();
    }
  });

  it('a service that does not come back: the command says so, and starts no agent outside it', async () => {
    const { ctx, link, upgrade } = installedHome();
    const unit = service(link, ctx.env, false);
    await waitFor(
      () => existsSync(socketOf(ctx)),
      20_000,
      () => 'the service agent did not start',
    );
    upgrade();
    const result = await runCli(['status'], { env: ctx.env });
    assert.equal(await unit.runs[0].exit, SERVICE_RESTART_EXIT);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'docker-credential-eidf: the agent is the systemd service docker-credential-eidf; it stopped to restart with the new version but did not come back: systemctl --user status docker-credential-eidf shows why\n',
    );
    assert.equal(existsSync(socketOf(ctx)), false, 'no agent listens');
    assert.equal(existsSync(join(ctx.home, 'agent.log')), false, 'no detached agent was started');

    // The command that waited in vain removed the marker: the next one starts an agent as without systemd.
    const next = await runCli(['status', '--json'], { env: ctx.env });
    assert.equal((await statusJson(next)).agent.version, VERSION);
    assert.match(readFileSync(join(ctx.home, 'agent.log'), 'utf8'), / listening; /);
  });
});
