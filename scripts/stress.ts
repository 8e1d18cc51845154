/**
 * `npm run stress`: many callers at once against one agent, on loopback and the agent's unix socket only.
 *
 * 1. STRESS_CONNECTIONS (1000) concurrent callers in this process each send STRESS_REQUESTS (50)
 *    `get`s in turn over the socket (the helper's own transport, socket-http.ts), started just
 *    before the agent refreshes its ID token, so the refresh happens during the burst;
 * 2. STRESS_HELPERS (200) real helper processes run `get` at the same moment.
 *
 * Prints the failure count of each phase and the refreshes the sandbox IdP answered during the burst
 * (counted at the IdP's token endpoint): the agent must make at most one per token lifetime.
 * Exit 0 when there are no failures and the refresh bound holds. Bounded: STRESS_TIMEOUT_S (300)
 * for the whole run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from './sandbox/sandbox.ts';
import { socketRequest } from '../src/agent/client/socket-http.ts';
import { HELPER_BIN, runCli, runProcess, TEST_COMPILE_CACHE } from '../test/helpers/cli.ts';

const HELPERS = boundedInt('STRESS_HELPERS', 200, 1, 500);
const CONNECTIONS = boundedInt('STRESS_CONNECTIONS', 1000, 1, 2000);
const REQUESTS = boundedInt('STRESS_REQUESTS', 50, 1, 200);
const TIMEOUT_S = boundedInt('STRESS_TIMEOUT_S', 300, 30, 900);
const TOKEN_LIFETIME_S = 60; // refreshed ~48 s after issue (DEFAULT_REFRESH_POLICY): one refresh per lifetime

function boundedInt(name: string, fallback: number, min: number, max: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

// Launcher mode: spawn() blocks the caller's event loop for each child (hundreds of ms apiece on a busy
// box), which would starve the sandbox IdP living in the main process; so a child process spawns the
// helpers and prints their outcomes as JSON.
if (process.argv[2] === '--spawn-helpers') {
  const [count, registry] = [Number(process.argv[3]), process.argv[4]];
  const outcomes = await Promise.all(Array.from({ length: count }, () => helperGet(process.env, registry)));
  process.stdout.write(JSON.stringify(outcomes));
  process.exit(0);
}
const deadline = setTimeout(() => {
  out(`stress: gave up after ${TIMEOUT_S} s`);
  process.exit(2);
}, TIMEOUT_S * 1000);
deadline.unref();

const sandbox = await startSandbox({
  registry: false,
  devicePollInterval: 0.05,
  accessTokenTtl: TOKEN_LIFETIME_S,
  autoApprove: 'alice',
});
const home = mkdtempSync(join(tmpdir(), 'eidf-stress-'));
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  EIDF_HOME: home,
  EIDF_STORE: 'file',
  EIDF_NO_BROWSER: '1',
  NODE_COMPILE_CACHE: TEST_COMPILE_CACHE,
  ...sandbox.env,
};
let failed = false;
try {
  const login = await runCli(['login', '--no-browser'], { env, timeoutMs: 30_000 });
  if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
  const first = await runCli(['get'], { env, input: sandbox.registryHost });
  if (first.code !== 0) throw new Error(`get failed: ${first.stdout}${first.stderr}`);
  const expected = first.stdout;

  // 1. The in-process burst, timed to straddle the agent's next ID-token refresh.
  const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as {
    session: { nextRefreshAt: string | null };
    agent: { socket: string };
  };
  const nextRefreshAt = Date.parse(status.session.nextRefreshAt ?? '');
  if (!Number.isFinite(nextRefreshAt))
    throw new Error(`the agent has no refresh scheduled: ${JSON.stringify(status.session)}`);
  const wait = nextRefreshAt - 1500 - Date.now();
  out(`waiting ${Math.max(0, Math.round(wait / 1000))} s for the agent's next ID-token refresh…`);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const refreshes = () =>
    sandbox.idpTokenRequests().filter((r) => r.clientId === sandbox.cliClientId && r.grantType === 'refresh_token');
  const refreshesBefore = refreshes().length;
  const body = JSON.stringify({ registry: sandbox.registryHost });
  const errors: string[] = [];
  let ok = 0;
  const burstStart = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let i = 0; i < REQUESTS; i++) {
        try {
          const answer = await socketRequest(status.agent.socket, {
            method: 'POST',
            path: '/v1/credentials/get',
            headers: {},
            body,
            timeoutMs: 30_000,
          });
          if (answer.status === 200 && sameCredential(answer.body, expected)) ok++;
          else errors.push(`HTTP ${answer.status}: ${answer.body.slice(0, 120)}`);
        } catch (err) {
          errors.push(`${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`);
        }
      }
    }),
  );
  const burstMs = performance.now() - burstStart;
  const during = refreshes().slice(refreshesBefore);
  const bound = Math.ceil(burstMs / 1000 / TOKEN_LIFETIME_S) + 1;
  out(
    `in-process: ${CONNECTIONS}×${REQUESTS} = ${CONNECTIONS * REQUESTS} \`get\`s, ${errors.length} failed, ${ok} answered correctly (${(burstMs / 1000).toFixed(1)} s)`,
  );
  summarise(errors);
  const refused = during.filter((r) => r.status !== 200);
  out(
    `IdP refresh grants during the burst: ${during.length} (${refused.length} refused; bound: ${bound} for ${(burstMs / 1000).toFixed(1)} s with ${TOKEN_LIFETIME_S} s tokens)`,
  );
  // 2. Real helper processes, all at once (after the burst: their start-up load must not delay the refresh).
  const started = performance.now();
  const launched = await runProcess(
    process.execPath,
    [import.meta.filename, '--spawn-helpers', String(HELPERS), sandbox.registryHost],
    { env, timeoutMs: TIMEOUT_S * 1000 },
  );
  const outcomes = JSON.parse(launched.stdout) as Array<{ code: number | null; stdout: string; stderr: string }>;
  const helperFailures = outcomes.filter((o) => o.code !== 0 || o.stdout !== expected);
  out(
    `helper processes: ${HELPERS} concurrent \`get\`s, ${helperFailures.length} failed (${Math.round(performance.now() - started)} ms)`,
  );
  summarise(helperFailures.map((o) => `exit ${o.code}: ${(o.stdout || o.stderr).trim().split('\n')[0]}`));

  failed = helperFailures.length > 0 || errors.length > 0 || during.length > bound || refused.length > 0;
  if (during.length === 0) out('note: no refresh fell inside the burst');
} catch (err) {
  out(`stress: ${(err as Error).message}`);
  failed = true;
} finally {
  await runCli(['daemon', 'stop'], { env }).catch(() => undefined);
  if (failed && process.env.STRESS_SHOW_LOG === '1') out(readFileSync(join(home, 'agent.log'), 'utf8'));
  await sandbox.stop();
  rmSync(home, { recursive: true, force: true });
}
out(failed ? 'stress: FAILED' : 'stress: 0 failures');
process.exit(failed ? 1 : 0);

function helperGet(
  childEnv: NodeJS.ProcessEnv,
  registry: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(HELPER_BIN, ['get'], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: -1, stdout: '', stderr: err.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(registry);
  });
}

/** The agent's answer carries the helper's Username and Secret (the helper adds ServerURL). */
function sameCredential(agentBody: string, helperStdout: string): boolean {
  try {
    const a = JSON.parse(agentBody) as { Username?: unknown; Secret?: unknown };
    const h = JSON.parse(helperStdout) as { Username?: unknown; Secret?: unknown };
    return a.Username === h.Username && a.Secret === h.Secret && typeof a.Secret === 'string';
  } catch {
    return false;
  }
}

/** The distinct failure lines, most frequent first (at most five). */
function summarise(lines: string[]): void {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  for (const [line, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5)) out(`  ${n}× ${line}`);
}
