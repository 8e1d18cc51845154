import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repo root and the launcher that docker, skopeo and podman run. */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const HELPER_BIN = join(REPO_ROOT, 'bin', 'docker-credential-eidf');
/**
 * Node's compile cache for every process the tests start (npm test names the same folder): in the
 * checkout, which is the tester's own, not a fixed name under /tmp that another user could make first
 * and fill with code for these processes to run.
 */
export const TEST_COMPILE_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'eidf-test-compile-cache');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a process, with `input` on stdin. */
export function runCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string | Uint8Array; timeoutMs?: number },
): Promise<CliResult> {
  return runProcess(HELPER_BIN, args, options);
}

export function runProcess(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string | Uint8Array; timeoutMs?: number; cwd?: string },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the CLI may stop reading early; that is its right
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A private EIDF_HOME (short path: the agent socket lives in it) and an environment that uses
 * it. `cleanup()` stops the agent of that home and removes the folder.
 */
export function isolatedHome(extraEnv: NodeJS.ProcessEnv = {}): {
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
} {
  const home = mkdtempSync(join(tmpdir(), 'eidf-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    EIDF_HOME: home,
    EIDF_STORE: 'memory',
    NODE_COMPILE_CACHE: TEST_COMPILE_CACHE,
    ...extraEnv,
  };
  return {
    home,
    env,
    cleanup: async () => {
      // In-process (helpers/headless.ts): one process start less per home.
      const { runInProcess } = await import('./headless.ts');
      await runInProcess(['daemon', 'stop'], { env }).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Whether `output` exists and no file under `inputs` is newer (`find -newer`, as bin/ and install.sh
 * ask it): a build made from the current sources.
 */
export function builtFromCurrent(output: string, inputs: readonly string[]): boolean {
  if (!existsSync(output)) return false;
  const newer = spawnSync('find', [...inputs, '-newer', output, '-print', '-quit'], { encoding: 'utf8' });
  return newer.status === 0 && newer.stdout === '';
}
