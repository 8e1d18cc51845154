import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { isolatedHome, REPO_ROOT, runCli, runProcess } from '../helpers/cli.ts';

/**
 * `setup --creds-store` with the real docker CLI: every registry without a credHelpers entry goes to
 * this helper, which keeps it in its store. `docker logout` of such a registry reaches the helper's
 * `erase` (no engine is needed for a logout).
 */
it('with credsStore "eidf", docker sends another registry to the helper: stored, listed, erased by docker logout', async (t) => {
  if (spawnSync('docker', ['--version']).error) return t.skip('the docker CLI is not installed');
  const ctx = isolatedHome({ EIDF_REGISTRY: 'registry.example' });
  t.after(() => ctx.cleanup());
  const env = {
    ...ctx.env,
    PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
    DOCKER_CONFIG: join(ctx.home, 'docker'),
  };
  const setup = await runCli(['setup', '--creds-store'], { env });
  assert.equal(setup.code, 0, setup.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(ctx.home, 'docker', 'config.json'), 'utf8')), { credsStore: 'eidf' });

  // What docker login other.example:5000 does once the engine accepted the login: `store` on the helper.
  const stored = await runCli(['store'], {
    env,
    input: JSON.stringify({ ServerURL: 'other.example:5000', Username: 'bob', Secret: 'pw' }),
  });
  assert.equal(stored.code, 0, stored.stdout);
  const get = await runCli(['get'], { env, input: 'other.example:5000' });
  assert.deepEqual(JSON.parse(get.stdout), { ServerURL: 'other.example:5000', Username: 'bob', Secret: 'pw' });
  assert.deepEqual(JSON.parse((await runCli(['list'], { env })).stdout), { 'other.example:5000': 'bob' });

  const logout = await runProcess('docker', ['logout', 'other.example:5000'], { env });
  assert.equal(logout.code, 0, logout.stderr);
  assert.match(logout.stdout, /Removing login credentials for other\.example:5000/);
  assert.deepEqual(JSON.parse((await runCli(['list'], { env })).stdout), {});
  const gone = await runCli(['get'], { env, input: 'other.example:5000' });
  assert.equal(gone.stdout, 'credentials not found in native keychain\n');
});
