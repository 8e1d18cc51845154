/**
 * `npm run bench`: the helper's speed and the agent's memory, each next to its baselines of the same
 * run, on loopback only (the sandbox IdP and Harbor in this process, agents in private folders).
 *
 * 1. Warm `get` p50/p99, interleaved (each round runs every candidate once, so drift on a shared
 *    machine hits them alike): `node -e 0` of the pinned Node (the floor of any Node helper), the
 *    installed shapes (the single executable, dist/docker-credential-eidf.cjs with its `#!` line),
 *    the checkout launcher bin/, and Debian's Go `docker-credential-secretservice` (a private
 *    gnome-keyring) when installed. Ratios to `node -e 0` and to Go.
 * 2. p99 of `get`s run back to back across the agent's ID-token refresh (30 s tokens), against the p50.
 * 3. Network calls made for `get`s: connect() calls to an IP address, by the agent (strace attached
 *    while the helper runs `get`s) and by one helper process.
 * 4. A second agent (a one-hour token, as in use): VmRSS / RssAnon / RssFile idle, after a burst
 *    of 1000 concurrent `get`s over its socket (errors, refreshes at the IdP), and idle again;
 *    wake-ups per minute while idle (voluntary context switches of all its threads: each is a
 *    thread that slept and was woken). "Idle" starts once the agent has given memory back (its
 *    full GC 30 s after the last request: src/agent/server/quiet-timer.ts).
 * 5. BENCH_FLAGS=1: the same memory figures for agents run with each V8/Node memory flag and
 *    glibc malloc setting (BENCH_FLAGS=only: this section alone).
 *
 * BENCH_RUNS (200) rounds for 1; BENCH_IDLE_S (30) seconds for each idle wait. NODE_EXTRA_CA_CERTS is
 * unset for every process timed: when set, Node reads the whole CA bundle at start (~30 ms).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketRequest } from '../src/agent/client/socket-http.ts';
import { RELEASE_AFTER_QUIET_MS } from '../src/agent/server/quiet-timer.ts';
import { AGENT_MALLOC_ENV, AGENT_V8_FLAGS } from '../src/platform/runtime.ts';
import { startSandbox, type Sandbox } from './sandbox/sandbox.ts';
import { HELPER_BIN, runProcess } from '../test/helpers/cli.ts';
import { startPrivateKeyring, type PrivateKeyring } from '../test/helpers/keyring.ts';

const RUNS = boundedInt('BENCH_RUNS', 200, 10, 2000);
const IDLE_S = boundedInt('BENCH_IDLE_S', 30, 5, 300);
const BURST = 1000;
const GO_HELPER = '/usr/bin/docker-credential-secretservice';
const root = join(import.meta.dirname, '..');
const node = join(root, 'node_modules/node/bin/node');
const SEA = join(root, 'dist/sea/docker-credential-eidf');
const SCRIPT = join(root, 'dist/docker-credential-eidf.cjs');
/** What install.sh installs by default (the faster shape, measured here). */
const INSTALLED = existsSync(SEA) ? SEA : SCRIPT;
/**
 * Agents for section 5: `dist/cli.cjs` run by node with V8/Node flags (the script shape's agent), or the single
 * executable (its flags baked in) with glibc malloc settings. Each starts with exactly the environment given.
 */
const FLAG_VARIANTS: Array<{ name: string; flags?: string[]; sea?: true; env?: Record<string, string> }> = [
  { name: 'no flags', flags: [] },
  { name: '--max-semi-space-size=1', flags: ['--max-semi-space-size=1'] },
  { name: '+ --optimize-for-size', flags: ['--max-semi-space-size=1', '--optimize-for-size'] },
  { name: '+ --max-old-space-size=32', flags: ['--max-semi-space-size=1', '--max-old-space-size=32'] },
  { name: '+ --single-threaded-gc', flags: ['--max-semi-space-size=1', '--single-threaded-gc'] },
  { name: '+ --v8-pool-size=1', flags: ['--max-semi-space-size=1', '--v8-pool-size=1'] },
  { name: '+ --lite-mode', flags: ['--max-semi-space-size=1', '--lite-mode'] },
  { name: '+ --jitless', flags: ['--max-semi-space-size=1', '--jitless'] },
  { name: '+ --no-memory-reducer', flags: ['--max-semi-space-size=1', '--no-memory-reducer'] },
  { name: '+ MALLOC_ARENA_MAX=2', flags: ['--max-semi-space-size=1'], env: { MALLOC_ARENA_MAX: '2' } },
  { name: 'AGENT_V8_FLAGS', flags: [...AGENT_V8_FLAGS] },
  { name: 'AGENT_V8_FLAGS + AGENT_MALLOC_ENV', flags: [...AGENT_V8_FLAGS], env: { ...AGENT_MALLOC_ENV } },
  { name: 'SEA, glibc defaults', sea: true },
  { name: 'SEA, MALLOC_ARENA_MAX=2', sea: true, env: { MALLOC_ARENA_MAX: '2' } },
  { name: 'SEA, + TRIM_THRESHOLD_=128k', sea: true, env: { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' } },
  { name: 'SEA, + MMAP_THRESHOLD_=32k', sea: true, env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768' } },
  { name: 'SEA, + MMAP_THRESHOLD_=8k', sea: true, env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '8192' } },
  { name: 'SEA, AGENT_MALLOC_ENV (kept)', sea: true, env: { ...AGENT_MALLOC_ENV } },
];

const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function boundedInt(name: string, fallback: number, min: number, max: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Candidate {
  name: string;
  command: string;
  args: string[];
  input?: string;
}

/** Runs each candidate once per round, the first one rotating; `warmup` rounds are not counted. */
function timeInterleaved(candidates: Candidate[], env: NodeJS.ProcessEnv, rounds: number): Map<string, number[]> {
  const times = new Map(candidates.map((c) => [c.name, [] as number[]]));
  const warmup = 5;
  for (let i = 0; i < rounds + warmup; i++) {
    for (let k = 0; k < candidates.length; k++) {
      const c = candidates[(i + k) % candidates.length];
      const elapsed = timeOnce(c, env);
      if (i >= warmup) times.get(c.name)!.push(elapsed);
    }
  }
  return times;
}

function timeOnce(c: Candidate, env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const result = spawnSync(c.command, c.args, { env, input: c.input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${c.name} failed: ${result.stdout.toString()}${result.stderr.toString()}`);
  return elapsed;
}

interface Memory {
  vmRss: number;
  rssAnon: number;
  rssFile: number;
}

function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
  return { vmRss: mb('VmRSS'), rssAnon: mb('RssAnon'), rssFile: mb('RssFile') };
}

const showMemory = (m: Memory) =>
  `VmRSS ${m.vmRss.toFixed(1)} MB, RssAnon ${m.rssAnon.toFixed(1)} MB, RssFile ${m.rssFile.toFixed(1)} MB`;

/** Voluntary context switches per thread (name → count): each is a sleep that something ended. */
function wakeups(pid: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = `${readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()}#${tid}`;
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      counts.set(name, Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return counts;
}

/** Idles `seconds` and returns the wake-ups per minute, in total and for the busiest threads. */
async function idleWakeups(pid: number, seconds: number): Promise<{ perMinute: number; threads: string }> {
  const before = wakeups(pid);
  await sleep(seconds * 1000);
  const after = wakeups(pid);
  const deltas = [...after].map(([name, n]) => [name, n - (before.get(name) ?? 0)] as const).filter(([, n]) => n > 0);
  const total = deltas.reduce((sum, [, n]) => sum + n, 0);
  const perMinute = (n: number) => (n * 60) / seconds;
  const threads = deltas
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([name, n]) => `${name.replace(/#\d+$/, '')} ${perMinute(n).toFixed(1)}`)
    .join(', ');
  return { perMinute: perMinute(total), threads: threads || 'none' };
}

interface Agent {
  env: NodeJS.ProcessEnv;
  home: string;
  pid: number;
  socket: string;
}

/** A sandbox as an agent in use sees it: one-hour tokens, so no refresh falls inside a measurement. */
function hourTokenSandbox(): Promise<Sandbox> {
  return startSandbox({ registry: false, devicePollInterval: 0.05, autoApprove: 'alice', accessTokenTtl: 3600 });
}

/** A private home logged in at the sandbox (device login, file store), its agent started by `start`. */
async function loggedInAgent(sandbox: Sandbox, start?: (env: NodeJS.ProcessEnv) => void): Promise<Agent> {
  const home = mkdtempSync(join(tmpdir(), 'eidf-bench-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    EIDF_HOME: home,
    EIDF_STORE: 'file',
    EIDF_NO_BROWSER: '1',
    ...sandbox.env,
  };
  if (start) {
    start(env);
    for (let i = 0; i < 200 && !existsSync(join(home, 'run', 'agent.sock')); i++) await sleep(50);
  }
  const login = await runProcess(INSTALLED, ['login', '--no-browser'], { env, timeoutMs: 60_000 });
  if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
  const status = JSON.parse((await runProcess(INSTALLED, ['status', '--json'], { env })).stdout) as {
    agent: { pid: number; socket: string };
  };
  const get = await runProcess(INSTALLED, ['get'], { env, input: sandbox.registryHost });
  if (get.code !== 0) throw new Error(`get failed: ${get.stdout}`);
  return { env, home, pid: status.agent.pid, socket: status.agent.socket };
}

async function stopAgent(agent: Agent): Promise<void> {
  await runProcess(INSTALLED, ['daemon', 'stop'], { env: agent.env }).catch(() => undefined);
  rmSync(agent.home, { recursive: true, force: true });
}

/** `count` concurrent `get`s over the agent's socket (the helper's own transport): the failures. */
async function burst(agent: Agent, registry: string, count: number): Promise<string[]> {
  const body = JSON.stringify({ registry });
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      try {
        const answer = await socketRequest(agent.socket, {
          method: 'POST',
          path: '/v1/credentials/get',
          headers: {},
          body,
          timeoutMs: 30_000,
        });
        if (answer.status !== 200 || !answer.body.includes('"Secret"')) errors.push(`HTTP ${answer.status}`);
      } catch (err) {
        errors.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }),
  );
  return errors;
}

/** connect() calls to an IP address (AF_INET/AF_INET6) in an strace output file. */
function ipConnects(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /connect\(\d+, \{sa_family=AF_INET6?\b/.test(line)).length;
}

// Timer mode: spawnSync blocks the caller's event loop for each child, which would starve the sandbox
// living in the main process (the agent's refresh would wait on it): a child process times the runs.
if (process.argv[2] === '--timer') {
  const job = JSON.parse(process.argv[3]) as { candidates: Candidate[]; rounds?: number; seconds?: number };
  if (job.rounds !== undefined)
    process.stdout.write(JSON.stringify([...timeInterleaved(job.candidates, process.env, job.rounds)]));
  else {
    const samples: Array<[number, number]> = [];
    for (const stopAt = Date.now() + job.seconds! * 1000; Date.now() < stopAt;)
      samples.push([Date.now(), timeOnce(job.candidates[0], process.env)]);
    process.stdout.write(JSON.stringify(samples));
  }
  process.exit(0);
}

async function inTimer<T>(
  env: NodeJS.ProcessEnv,
  job: { candidates: Candidate[]; rounds?: number; seconds?: number },
): Promise<T> {
  const result = await runProcess(process.execPath, [import.meta.filename, '--timer', JSON.stringify(job)], {
    env,
    timeoutMs: 30 * 60_000,
  });
  if (result.code !== 0) throw new Error(`timing failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

const FLAGS_ONLY = process.env.BENCH_FLAGS === 'only';
class FlagsDone extends Error {}
const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'eidf-bench-scratch-'));
let keyring: PrivateKeyring | undefined;
const sandboxes: Sandbox[] = [];
const agents: Agent[] = [];
try {
  out(
    `bench: Node ${execFileSync(node, ['--version']).toString().trim()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}, ${RUNS} rounds, idle ${IDLE_S} s`,
  );
  out(`installed by default: ${INSTALLED === SEA ? 'the single executable' : 'dist/docker-credential-eidf.cjs'}`);
  if (FLAGS_ONLY) {
    const slow = await hourTokenSandbox();
    sandboxes.push(slow);
    await flagSweep(slow);
    throw new FlagsDone();
  }
  // A 30 s token: the agent refreshes every ~20 s, so one falls inside section 2.
  const fast = await startSandbox({
    registry: false,
    devicePollInterval: 0.05,
    accessTokenTtl: 30,
    autoApprove: 'alice',
  });
  sandboxes.push(fast);
  const agent = await loggedInAgent(fast);
  agents.push(agent);
  const timedEnv: NodeJS.ProcessEnv = { ...agent.env };
  delete timedEnv.NODE_EXTRA_CA_CERTS;
  const registry = fast.registryHost;

  // 1. Warm `get`, interleaved.
  const candidates: Candidate[] = [{ name: 'node -e 0', command: node, args: ['-e', '0'] }];
  if (existsSync(SEA)) candidates.push({ name: 'single executable', command: SEA, args: ['get'], input: registry });
  candidates.push(
    { name: 'dist/docker-credential-eidf.cjs (#!)', command: SCRIPT, args: ['get'], input: registry },
    { name: 'launcher bin/ (sh)', command: HELPER_BIN, args: ['get'], input: registry },
  );
  if (existsSync(GO_HELPER)) {
    keyring = await startPrivateKeyring();
    Object.assign(timedEnv, keyring.env);
    const credential = JSON.stringify({ ServerURL: registry, Username: 'bench', Secret: 'bench-secret' });
    execFileSync(GO_HELPER, ['store'], { env: timedEnv, input: credential });
    candidates.push({ name: 'Go docker-credential-secretservice', command: GO_HELPER, args: ['get'], input: registry });
  }
  const times = new Map(await inTimer<Array<[string, number[]]>>(timedEnv, { candidates, rounds: RUNS }));
  const p50 = (name: string) => percentile(times.get(name)!, 50);
  const go = times.has('Go docker-credential-secretservice') ? p50('Go docker-credential-secretservice') : undefined;
  out('\n1. warm get (ratios of p50 to the same-run baselines)');
  out(`${'command'.padEnd(38)} ${'p50/node'.padStart(9)} ${'p99/node'.padStart(9)} ${'p50/Go'.padStart(8)}`);
  for (const [name, samples] of times) {
    const floor = p50('node -e 0');
    const cells = [
      (percentile(samples, 50) / floor).toFixed(3),
      (percentile(samples, 99) / floor).toFixed(3),
      go === undefined ? '-' : (percentile(samples, 50) / go).toFixed(2),
    ];
    out(`${name.padEnd(38)} ${cells[0].padStart(9)} ${cells[1].padStart(9)} ${cells[2].padStart(8)}`);
  }
  out(`(node -e 0 p50 ${p50('node -e 0').toFixed(1)} ms on this run; absolute times vary 2-3x between days)`);

  // 2. Across an ID-token refresh: `get`s back to back from 3 s before the agent's refresh until 3 s after it.
  const installedGet: Candidate = { name: 'installed', command: INSTALLED, args: ['get'], input: registry };
  const refreshes = () =>
    fast.idpTokenRequests().filter((r) => r.clientId === fast.cliClientId && r.grantType === 'refresh_token').length;
  let refreshAt = NaN;
  for (let i = 0; i < 30 && !Number.isFinite(refreshAt); i++) {
    const status = JSON.parse((await runProcess(INSTALLED, ['status', '--json'], { env: agent.env })).stdout) as {
      session: { nextRefreshAt: string | null } | null;
    };
    refreshAt = Date.parse(status.session?.nextRefreshAt ?? '');
    if (!Number.isFinite(refreshAt)) await sleep(1000);
  }
  if (!Number.isFinite(refreshAt)) throw new Error('the agent has no ID-token refresh scheduled');
  await sleep(Math.max(0, refreshAt - 3000 - Date.now()));
  const refreshesBefore = refreshes();
  let refreshedAt: number | undefined;
  const watch = setInterval(() => {
    if (refreshedAt === undefined && refreshes() > refreshesBefore) refreshedAt = Date.now();
  }, 20);
  const samples = await inTimer<Array<[number, number]>>(timedEnv, { candidates: [installedGet], seconds: 8 });
  clearInterval(watch);
  const steady = percentile(
    times.get(INSTALLED === SEA ? 'single executable' : 'dist/docker-credential-eidf.cjs (#!)')!,
    50,
  );
  if (refreshedAt === undefined) out('\n2. across an ID-token refresh: no refresh happened in the window');
  else {
    const across = samples.filter(([at]) => Math.abs(at - refreshedAt!) <= 3000).map(([, ms]) => ms);
    out(
      `\n2. across an ID-token refresh: ${across.length} gets within 3 s of it; p99 ${(percentile(across, 99) / steady).toFixed(2)}x the warm p50 (target <= 1.5x), max ${(Math.max(...across) / steady).toFixed(2)}x`,
    );
  }

  // 4. An agent as in use (one-hour tokens): memory and wake-ups idle, after a burst, idle again.
  const slow = await hourTokenSandbox();
  sandboxes.push(slow);
  await stopAgent(agents.pop()!);
  const idle = await loggedInAgent(slow);
  agents.push(idle);
  // 3. Network calls on `get`: none, the agent answers from memory (no refresh is due with one-hour tokens).
  const idleEnv: NodeJS.ProcessEnv = { ...idle.env, ...keyring?.env };
  delete idleEnv.NODE_EXTRA_CA_CERTS;
  if (hasStrace) {
    const idleGet: Candidate = { name: 'installed', command: INSTALLED, args: ['get'], input: slow.registryHost };
    const agentTrace = join(scratch, 'agent.strace');
    const tracer = spawn('strace', ['-f', '-qq', '-e', 'trace=connect', '-o', agentTrace, '-p', String(idle.pid)], {
      stdio: 'ignore',
    });
    await sleep(1000);
    await inTimer(idleEnv, { candidates: [idleGet], rounds: 15 });
    tracer.kill('SIGINT');
    await new Promise((r) => tracer.once('close', r));
    const helperTrace = join(scratch, 'helper.strace');
    spawnSync('strace', ['-f', '-qq', '-e', 'trace=connect', '-o', helperTrace, INSTALLED, 'get'], {
      env: idleEnv,
      input: slow.registryHost,
    });
    out(
      `\n3. network calls on get: the agent made ${ipConnects(agentTrace)} connect() to an IP address during 20 gets, the helper ${ipConnects(helperTrace)}`,
    );
  } else out('\n3. network calls on get: strace not installed, not counted');

  out(`\n4. agent of the default install (pid ${idle.pid}), after one get`);
  await sleep(RELEASE_AFTER_QUIET_MS + 5000);
  let wake = await idleWakeups(idle.pid, IDLE_S);
  out(
    `idle ${IDLE_S} s:          ${showMemory(memoryOf(idle.pid))}; ${wake.perMinute.toFixed(1)} wake-ups/min (${wake.threads})`,
  );
  const slowRefreshes = () =>
    slow.idpTokenRequests().filter((r) => r.clientId === slow.cliClientId && r.grantType === 'refresh_token').length;
  const before = slowRefreshes();
  const errors = await burst(idle, slow.registryHost, BURST);
  out(
    `${BURST} concurrent gets: ${errors.length} errors${errors.length ? ` (${errors.slice(0, 3).join('; ')})` : ''}, ${slowRefreshes() - before} refreshes at the IdP`,
  );
  out(`after the burst:       ${showMemory(memoryOf(idle.pid))}`);
  await sleep(RELEASE_AFTER_QUIET_MS + 5000);
  wake = await idleWakeups(idle.pid, IDLE_S);
  out(
    `idle ${IDLE_S} s again:    ${showMemory(memoryOf(idle.pid))}; ${wake.perMinute.toFixed(1)} wake-ups/min (${wake.threads})`,
  );
  await stopAgent(agents.pop()!);

  if (process.env.BENCH_FLAGS === '1') await flagSweep(slow);
} catch (err) {
  if (!(err instanceof FlagsDone)) throw err;
} finally {
  for (const agent of agents) await stopAgent(agent);
  if (keyring) {
    spawnSync(GO_HELPER, ['erase'], { env: { ...process.env, ...keyring.env }, input: 'x' });
    await keyring.stop();
  }
  for (const sandbox of sandboxes) await sandbox.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);

/** 5. Memory flags, each on its own agent (dist/cli.cjs, which takes flags on its command line, or the executable), side by side. */
async function flagSweep(slow: Sandbox): Promise<void> {
  out(
    '\n5. agent memory by flag (RssAnon MB: idle / after the burst / idle again, each idle past the full GC; errors; wake-ups while idle again)',
  );
  const variants = FLAG_VARIANTS.filter((variant) => !variant.sea || existsSync(SEA));
  const runs = variants.map(async (variant) => {
    let flagged: Agent;
    let child: ReturnType<typeof spawn> | undefined;
    try {
      flagged = await loggedInAgent(slow, (env) => {
        const [command, args] = variant.sea
          ? [SEA, ['daemon', 'run']]
          : [node, [...(variant.flags ?? []), join(root, 'dist/cli.cjs'), 'daemon', 'run']];
        child = spawn(command, args, {
          env: { ...env, ...variant.env },
          detached: true,
          stdio: 'ignore',
        });
        child.unref();
      });
    } catch (err) {
      child?.kill();
      return `${variant.name.padEnd(34)} fails: ${(err as Error).message.split('\n')[0].slice(0, 100)}`;
    }
    agents.push(flagged);
    await sleep(Math.max(IDLE_S * 1000, RELEASE_AFTER_QUIET_MS + 5000));
    const a = memoryOf(flagged.pid);
    const failures = await burst(flagged, slow.registryHost, BURST);
    const b = memoryOf(flagged.pid);
    await sleep(RELEASE_AFTER_QUIET_MS + 5000);
    const idleAgain = await idleWakeups(flagged.pid, IDLE_S);
    const c = memoryOf(flagged.pid);
    return `${variant.name.padEnd(34)} ${a.rssAnon.toFixed(1)} / ${b.rssAnon.toFixed(1)} / ${c.rssAnon.toFixed(1)}  (VmRSS ${a.vmRss.toFixed(1)} / ${c.vmRss.toFixed(1)}), ${failures.length} errors, ${idleAgain.perMinute.toFixed(0)} wake-ups/min`;
  });
  for (const line of await Promise.all(runs)) out(line);
}
