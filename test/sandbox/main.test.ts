import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { run } from './helpers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NODE = process.execPath;
const MAIN = fileURLToPath(new URL('../../scripts/sandbox/main.ts', import.meta.url));

/** Children of a process, from /proc (to prove nothing is left behind). */
async function childrenOf(pid: number): Promise<string> {
  return (await run('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)])).stdout.trim();
}

describe('npm run sandbox (scripts/sandbox/main.ts)', () => {
  test('prints the export lines and "sandbox ready", exits cleanly on SIGTERM', async (t) => {
    const child = spawn(NODE, [MAIN, '--access-ttl', '60', '--auto-approve', 'alice'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A failure below must not leave the sandbox running: the test file would never end.
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      // A bound, not a speed check: it only keeps a sandbox that never gets ready from hanging the run.
      const timer = setTimeout(() => reject(new Error(`not ready in 60 s; stdout so far: ${stdout}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('sandbox ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'sandbox ready');
    const env = Object.fromEntries(
      lines.slice(0, -1).map((l) => {
        const m = l.match(/^export ([A-Z_]+)=(.*)$/);
        assert.ok(m, `not an export line: ${l}`);
        return [m[1], m[2]];
      }),
    );
    assert.match(env.EIDF_REGISTRY, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(env.EIDF_OIDC_ISSUER, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(env.EIDF_OIDC_CLIENT_ID, 'eidf-cli');
    assert.equal(env.EIDF_ALLOW_INSECURE_LOOPBACK, '1');
    const info = await fetch(`${env.EIDF_REGISTRY}/api/v2.0/systeminfo`);
    assert.equal(((await info.json()) as { auth_mode: string }).auth_mode, 'oidc_auth');
    const registryLine = (await childrenOf(child.pid as number)).split('\n').find((l) => /docker-regist/.test(l));
    assert.ok(registryLine, 'the registry runs as a child');
    const registryPid = Number(registryLine.trim().split(/\s+/)[0]);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.throws(() => process.kill(registryPid, 0), /ESRCH/, 'the registry is gone too');
    await assert.rejects(fetch(`${env.EIDF_REGISTRY}/api/v2.0/systeminfo`));
  });

  test('a bad flag is a one-line error and exit code 2', async () => {
    for (const args of [['--nope'], ['--access-ttl', 'soon'], ['--auto-approve', 'mallory']]) {
      const res = await run(NODE, [MAIN, ...args].map(String));
      assert.equal(res.code, 2, args.join(' '));
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      assert.equal(res.stdout, '');
    }
  });
});
