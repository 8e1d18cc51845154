/**
 * `npm run bench`: warm `get` latency of the helper next to its baselines, in one run.
 *
 * - `node -e 0` on the same (pinned) Node: the floor any Node helper pays to start;
 * - the single executable (dist/sea), when built, next to the checkout launcher;
 * - Debian's Go `docker-credential-secretservice`, against the same private gnome-keyring,
 *   when it is installed;
 * - the agent's resident memory once idle.
 *
 * NODE_EXTRA_CA_CERTS is unset for every process measured: when set, Node reads the whole CA
 * bundle at start, which adds ~30 ms to every process and would hide the helper's own cost.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELPER_BIN, runCli } from '../test/helpers/cli.ts';
import { startPrivateKeyring } from '../test/helpers/keyring.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const REGISTRY = 'bench.registry.example';
const GO_HELPER = '/usr/bin/docker-credential-secretservice';

interface Candidate {
  name: string;
  command: string;
  args: string[];
  input?: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function timeRuns(candidates: Candidate[], env: NodeJS.ProcessEnv): Map<string, number[]> {
  const times = new Map(candidates.map((c) => [c.name, [] as number[]]));
  for (let i = 0; i < RUNS + 5; i++) {
    // Interleaved, so drift on a shared machine hits every candidate alike; 5 warm-up rounds.
    for (const c of candidates) {
      const start = performance.now();
      const result = spawnSync(c.command, c.args, { env, input: c.input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
      const elapsed = performance.now() - start;
      if (result.status !== 0)
        throw new Error(`${c.name} failed: ${result.stdout.toString()}${result.stderr.toString()}`);
      if (i >= 5) times.get(c.name)!.push(elapsed);
    }
  }
  return times;
}

const keyring = await startPrivateKeyring();
const home = mkdtempSync(join(tmpdir(), 'eidf-bench-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...keyring.env,
  EIDF_HOME: home,
  EIDF_STORE: 'keychain',
  NODE_COMPILE_CACHE: join(home, 'cc'),
};
delete env.NODE_EXTRA_CA_CERTS;
try {
  const credential = JSON.stringify({ ServerURL: REGISTRY, Username: 'bench', Secret: 'bench-secret' });
  const stored = await runCli(['store'], { env, input: credential });
  if (stored.code !== 0) throw new Error(`store failed: ${stored.stdout}`);
  const node = join(import.meta.dirname, '..', 'node_modules', 'node', 'bin', 'node');
  const candidates: Candidate[] = [
    { name: 'node -e 0', command: node, args: ['-e', '0'] },
    { name: 'docker-credential-eidf get', command: HELPER_BIN, args: ['get'], input: REGISTRY },
  ];
  // The single executable (npm run build:sea; prebench builds it) asks the same agent.
  const sea = join(import.meta.dirname, '..', 'dist', 'sea', 'docker-credential-eidf');
  if (existsSync(sea))
    candidates.push({
      name: 'docker-credential-eidf get (single executable)',
      command: sea,
      args: ['get'],
      input: REGISTRY,
    });
  if (existsSync(GO_HELPER)) {
    execFileSync(GO_HELPER, ['store'], { env, input: credential });
    candidates.push({
      name: 'docker-credential-secretservice get (Go)',
      command: GO_HELPER,
      args: ['get'],
      input: REGISTRY,
    });
  }
  const times = timeRuns(candidates, env);
  const p50 = (name: string) =>
    percentile(
      [...times.get(name)!].sort((a, b) => a - b),
      50,
    );
  process.stdout.write(
    `warm get latency, ${RUNS} runs each (NODE_EXTRA_CA_CERTS unset), Node ${execFileSync(node, ['--version']).toString().trim()}\n`,
  );
  process.stdout.write(`${'command'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}\n`);
  for (const [name, samples] of times) {
    const sorted = [...samples].sort((a, b) => a - b);
    process.stdout.write(
      `${name.padEnd(44)} ${percentile(sorted, 50).toFixed(1).padStart(8)} ${percentile(sorted, 99).toFixed(1).padStart(8)}\n`,
    );
  }
  const ours = p50('docker-credential-eidf get');
  process.stdout.write(`ratio p50 eidf / node -e 0: ${(ours / p50('node -e 0')).toFixed(2)}x (target <= 1.10x)\n`);
  if (times.has('docker-credential-eidf get (single executable)')) {
    process.stdout.write(
      `ratio p50 single executable / node -e 0: ${(p50('docker-credential-eidf get (single executable)') / p50('node -e 0')).toFixed(2)}x\n`,
    );
  }
  if (times.has('docker-credential-secretservice get (Go)')) {
    process.stdout.write(
      `ratio p50 eidf / Go secretservice: ${(ours / p50('docker-credential-secretservice get (Go)')).toFixed(2)}x (target <= 1.8x)\n`,
    );
    execFileSync(GO_HELPER, ['erase'], { env, input: REGISTRY });
  } else {
    process.stdout.write('Go docker-credential-secretservice not installed: no comparison\n');
  }
  const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { agent: { pid: number } };
  // Idle: past the keychain worker's 30 s idle stop (src/store/keychain.ts).
  process.stdout.write('waiting 35 s for the agent to be idle…\n');
  await new Promise((r) => setTimeout(r, 35_000));
  const procStatus = readFileSync(`/proc/${status.agent.pid}/status`, 'utf8');
  const mb = (field: string) => (Number(new RegExp(`${field}:\\s+(\\d+)`).exec(procStatus)?.[1]) / 1024).toFixed(1);
  // RssFile is mostly the node binary's own pages, shared with every other node process.
  process.stdout.write(
    `idle agent memory: RSS ${mb('VmRSS')} MB = private ${mb('RssAnon')} MB + file-backed ${mb('RssFile')} MB (target <= 60 MB)\n`,
  );
} finally {
  await runCli(['daemon', 'stop'], { env }).catch(() => undefined);
  await keyring.stop();
  rmSync(home, { recursive: true, force: true });
}
