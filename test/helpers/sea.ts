import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../../src/core/errors.ts';
import { builtFromCurrent, REPO_ROOT, runProcess } from './cli.ts';

/**
 * The checkout's single executable (dist/sea/docker-credential-eidf, as `npm run build:sea` and
 * install.sh make it), built only when it is missing or older than what it is built from: a build
 * costs ~15 s of CPU, and the test files that need the executable share one. Concurrent callers
 * (test files run in parallel) wait for one build under a lock file instead of building twice.
 */
export const SEA_PATH = join(REPO_ROOT, 'dist', 'sea', 'docker-credential-eidf');
const PINNED_NODE = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
/** What the executable is built from: a newer file here makes it stale (install.sh checks src and the script). */
const INPUTS = [
  join(REPO_ROOT, 'src'),
  join(REPO_ROOT, 'scripts', 'build-sea.ts'),
  join(REPO_ROOT, 'package-lock.json'),
];
const LOCK = join(REPO_ROOT, 'dist', 'sea', '.build.lock');

/** SEA_PATH once it is current, building it (with `env`, e.g. a PATH without the checkout) if needed. */
export async function currentSea(env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): Promise<string> {
  if (isCurrent()) return SEA_PATH;
  mkdirSync(join(REPO_ROOT, 'dist', 'sea'), { recursive: true });
  await lock();
  try {
    if (isCurrent()) return SEA_PATH; // built by whoever held the lock
    const built = await runProcess(PINNED_NODE, [join(REPO_ROOT, 'scripts', 'build-sea.ts')], {
      env,
      timeoutMs: 180_000,
    });
    if (built.code !== 0) throw new Error(`build-sea failed (exit ${built.code}): ${built.stderr}`);
    return SEA_PATH;
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/** As install.sh and the launcher ask it: does `find` see an input newer than the executable? */
function isCurrent(): boolean {
  return builtFromCurrent(SEA_PATH, INPUTS);
}

/** Takes the lock file (holding this pid); a lock whose process is gone is taken over. */
async function lock(): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    if (!holderAlive()) rmSync(LOCK, { force: true });
    else if (Date.now() > deadline) throw new Error(`${LOCK} is still held after 5 minutes`);
    else await new Promise((r) => setTimeout(r, 200));
  }
}

function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(LOCK, 'utf8'));
    // Empty: being written, or its writer died at once (then it is old).
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - statSync(LOCK).mtimeMs < 10_000;
  } catch {
    return false; // gone meanwhile
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}
