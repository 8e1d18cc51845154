import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private Docker engine for one test file: Debian's dockerd (docker.io) with its own data root,
 * exec root, pid file and socket in a temp folder, vfs storage (no overlay mounts), and no iptables
 * or bridge (nothing of the machine's network is touched). 127.0.0.0/8 registries are insecure by
 * default, so the sandbox registry works over plain HTTP. `stop()` ends it and removes every trace.
 */
export interface DockerEngine {
  /** `unix://…` for DOCKER_HOST. */
  host: string;
  stop(): Promise<void>;
}

/** Starts the engine; resolves with it, or with the reason it cannot run here (for `t.skip`). */
export async function startDockerEngine(timeoutMs = 30_000): Promise<DockerEngine | { cannotStart: string }> {
  if (spawnSync('dockerd', ['--version']).error)
    return { cannotStart: 'dockerd is not installed (Debian package docker.io; scripts/ensure-deps.sh installs it)' };
  if (process.getuid?.() !== 0) return { cannotStart: 'dockerd needs root here' };
  const dir = mkdtempSync(join(tmpdir(), 'eidf-dockerd-'));
  const socket = join(dir, 'docker.sock');
  writeFileSync(join(dir, 'daemon.json'), '{}\n'); // not the machine's /etc/docker/daemon.json
  const logFd = openSync(join(dir, 'dockerd.log'), 'w');
  const child = spawn(
    'dockerd',
    [
      '--config-file',
      join(dir, 'daemon.json'),
      '--storage-driver=vfs',
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${socket}`,
    ],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  child.once('error', () => (exited = true));

  const stop = async () => {
    if (!exited && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGTERM'); // dockerd stops its containerd and unmounts on TERM
      const forced = setTimeout(() => killGroup(child.pid!), 15_000);
      await gone;
      clearTimeout(forced);
    }
    // containerd runs in its own process group: make sure it is gone too.
    const containerdPid = Number(readText(join(dir, 'exec', 'containerd', 'containerd.pid')));
    if (containerdPid > 0) killGroup(containerdPid);
    for (const mount of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', mount]);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (!exited && Date.now() < deadline) {
    if (await pings(socket)) return { host: `unix://${socket}`, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  const why = readText(join(dir, 'dockerd.log')).trim().split('\n').slice(-3).join(' | ');
  await stop();
  return { cannotStart: `dockerd did not start${exited ? ' (it exited)' : ` within ${timeoutMs} ms`}: ${why}` };
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function mountsUnder(dir: string): string[] {
  return readText('/proc/self/mounts')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

function pings(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
