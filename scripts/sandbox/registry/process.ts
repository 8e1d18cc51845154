import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../http-util.ts';

export interface RegistrySettings {
  dir: string;
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
}

export interface RegistryProcess {
  /** `http://127.0.0.1:PORT` of the registry itself (the Harbor origin proxies /v2/ to it). */
  url: string;
  /** Last lines the registry wrote, for error reports. */
  recentLog(): string;
  stop(): Promise<void>;
}

const BINARY = 'docker-registry';

/**
 * Runs Debian's docker-registry (distribution 2.8) with token auth pointing at Harbor's
 * /service/token, storing blobs under `dir`. The child gets a clean environment so that no
 * REGISTRY_* variable of the caller can change its configuration.
 */
export async function startRegistry(settings: RegistrySettings): Promise<RegistryProcess> {
  // freePort() releases its probe before the registry binds: another process may take the port
  // meanwhile. The registry then exits (or someone else answers), and another port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePort(settings);
    } catch (err) {
      if (attempt === 5 || !(err instanceof PortTaken)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOnFreePort(settings: RegistrySettings): Promise<RegistryProcess> {
  const port = await freePort();
  const dataDir = join(settings.dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const configPath = join(settings.dir, 'config.yml');
  await writeFile(
    configPath,
    stringify({
      version: 0.1,
      log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: dataDir },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: `127.0.0.1:${port}`, secret: 'sandbox-only-upload-state-secret' },
      auth: {
        token: {
          realm: settings.realm,
          service: settings.service,
          issuer: settings.issuer,
          rootcertbundle: settings.certPath,
        },
      },
    }),
  );

  const lines: string[] = [];
  const child = spawn(BINARY, ['serve', configPath], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`cannot start ${BINARY}: ${err.message}`))),
  );
  spawnError.catch(() => undefined);

  const url = `http://127.0.0.1:${port}`;
  const registry: RegistryProcess = {
    url,
    recentLog: () => lines.join('\n'),
    stop: () => stopChild(child, exited),
  };
  try {
    await Promise.race([waitReady(url, child, settings.realm), spawnError]);
  } catch (err) {
    await registry.stop();
    if (err instanceof PortTaken) throw err;
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${registry.recentLog()}`, { cause: err });
  }
  return registry;
}

/** Ready when /v2/ answers 401 with a challenge naming our realm (so it is our registry). */
async function waitReady(url: string, child: ChildProcess, realm: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new PortTaken(`${BINARY} exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      if (res.status === 401 && res.headers.get('www-authenticate')?.includes(`realm="${realm}"`)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${BINARY} did not become ready within 10 s`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
