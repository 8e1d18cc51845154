import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import {
  agentLog,
  logInAs,
  loginHome,
  startCli,
  status,
  idpRefreshes,
  waitFor,
  type Home,
  type RunningCli,
} from './login-rig.ts';

const GETS = 50;
const BATCH = 50;

/** Connections waiting in the agent's accept queue (Recv-Q of its listening socket). */
function queuedConnections(socket: string): number {
  const line = execFileSync('ss', ['-xlnH', 'src', socket]).toString().trim();
  return Number(line.split(/\s+/)[2] ?? 0);
}

/** Whether a process has started and now blocks reading its stdin (Linux: a unix-socket read). */
function waitingOnStdin(pid: number | undefined): boolean {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8') === 'unix_stream_read_generic';
  } catch {
    return false;
  }
}

/**
 * 50 helper processes ask for the credential at the moment the ID token is due for refresh.
 * They start early and wait for their stdin; the agent is stopped (SIGSTOP) just before its
 * refresh time, all 50 get their input and queue on its socket, the refresh time passes (the
 * timer is now late: the token is due), and the agent resumes to find 50 requests at once.
 * The IdP must see one refresh, and every `get` the same credential.
 */
describe('50 concurrent gets while the ID token is due', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  before(async () => {
    // Lifetime 30 s: the agent refreshes 19-20 s after taking tokens, and not again for as long.
    sandbox = await startSandbox({ devicePollInterval: 0.05, registry: false, accessTokenTtl: 30 });
    // The keeper checks every second too, and needs the ID token for that.
    ctx = loginHome(sandbox.env, { EIDF_KEEPALIVE_SECONDS: '1' });
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it('cause at most one refresh, and all get the same credential', async () => {
    await logInAs(ctx.env, sandbox.approveDevice, 'alice');
    const gets: RunningCli[] = [];
    try {
      await askAllWhileDue(gets);
    } finally {
      for (const g of gets) if (g.child.exitCode === null) g.child.kill('SIGKILL'); // only after a failure
    }
  });

  async function askAllWhileDue(gets: RunningCli[]): Promise<void> {
    for (let i = 0; i < GETS; i += BATCH) {
      const batch = Array.from({ length: BATCH }, () =>
        startCli(['get'], { env: ctx.env, holdStdin: true, timeoutMs: 180_000 }),
      );
      gets.push(...batch);
      // Best effort (pacing only): let a batch finish starting before the next.
      await waitFor(
        () => batch.every((g) => waitingOnStdin(g.child.pid)),
        30_000,
        () => 'slow start',
      ).catch(() => undefined);
    }

    // Read now, not at login: a refresh may have happened meanwhile (not caught in the middle of one).
    const { report: before } = await waitFor(
      async () => {
        const s = await status(ctx.env);
        return s.report.session?.state === 'logged-in' ? s : undefined;
      },
      10_000,
      () => 'status never showed logged-in',
    );
    const refreshesAtStatus = idpRefreshes(sandbox).length;
    const dueAt = Date.parse(before.session!.nextRefreshAt!);
    const pid = before.agent.pid;
    await waitFor(
      () => Date.now() >= dueAt - 1000,
      60_000,
      () => 'the refresh time never came',
    );
    process.kill(pid, 'SIGSTOP');
    const refreshesBefore = idpRefreshes(sandbox).length;
    try {
      assert.equal(refreshesBefore, refreshesAtStatus, 'stopped before its refresh');
      for (const g of gets) g.child.stdin!.end(sandbox.registryHost);
      await waitFor(
        () => queuedConnections(before.agent.socket) >= GETS,
        60_000,
        () => `only ${queuedConnections(before.agent.socket)} of ${GETS} gets reached the socket`,
      );
      await waitFor(
        () => Date.now() > dueAt,
        10_000,
        () => 'the refresh time never came',
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const results = await Promise.all(gets.map((g) => g.done));
    const expected = `${JSON.stringify({ ServerURL: sandbox.registryHost, Username: 'alice', Secret: sandbox.cliSecretOf('alice') })}\n`;
    assert.equal(results.length, GETS);
    for (const r of results) assert.deepEqual(r, { code: 0, stdout: expected, stderr: '' });

    // The late timer's refresh, shared by everything that wanted a token meanwhile: exactly one,
    // counted at the IdP.
    await waitFor(
      () => idpRefreshes(sandbox).length > refreshesBefore,
      30_000,
      () => `no refresh after resuming:\n${agentLog(ctx.home)}`,
    );
    const { report } = await status(ctx.env);
    assert.deepEqual(
      idpRefreshes(sandbox)
        .slice(refreshesBefore)
        .map((r) => r.status),
      [200],
      agentLog(ctx.home),
    );
    assert.equal(report.agent.pid, pid);
    assert.equal(report.session?.username, 'alice');
    assert.ok(
      Date.parse(report.session.idTokenExpiresAt!) > Date.parse(before.session!.idTokenExpiresAt!),
      'the one refresh moved the expiry on',
    );
    // (A check that found Harbor, in this test process, too busy to answer is the load, not a missing token.)
    assert.doesNotMatch(agentLog(ctx.home), /refresh failed|check failed(?!: Harbor at \S+ is unreachable)/);
  }
});
