import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sandbox/http-util.ts';

/**
 * A real registry (Debian's `docker-registry`, distribution 2.8) with htpasswd auth on
 * 127.0.0.1, for the first demo steps and the helper's end-to-end tests. The password reaches
 * htpasswd on stdin, never in argv.
 */
export interface LocalRegistry {
  host: string;
  stop(): Promise<void>;
}

export async function startHtpasswdRegistry(user: string, password: string): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'eidf-registry-'));
  const htpasswd = execFileSync('htpasswd', ['-iBn', user], { input: password }).toString();
  writeFileSync(join(dir, 'htpasswd'), htpasswd, { mode: 0o600 });
  // freePort() closes its probe before the registry binds, so another process may take the port
  // meanwhile: then the registry exits, and we try another port (never talking to the intruder).
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: 127.0.0.1:${port}}`,
      `auth: {htpasswd: {realm: ${REALM}, path: ${join(dir, 'htpasswd')}}}`,
    ].join('\n');
    writeFileSync(join(dir, 'config.yml'), config);
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
    if (await waitForOurRegistry(`http://127.0.0.1:${port}/v2/`, child)) {
      return {
        host: `127.0.0.1:${port}`,
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    if (attempt === 5) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start: ${log}`);
    }
  }
}

const REALM = 'local-registry';

/** True once /v2/ answers with our realm; false if the registry exits or never answers. */
async function waitForOurRegistry(url: string, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(url);
      if (res.headers.get('www-authenticate')?.includes(`realm="${REALM}"`)) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
