import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { runInProcess } from '../helpers/headless.ts';
import { logInAs, useSandboxAndHome, type Home } from './login-rig.ts';

/** Every key in the file store. */
function storeKeys(home: string): string[] {
  const { secrets } = JSON.parse(readFileSync(join(home, 'secrets.json'), 'utf8')) as {
    secrets: Record<string, string>;
  };
  return Object.keys(secrets);
}

/** The robot secrets kept in the file store for the sandbox registry. */
function robotKeys(home: string): string[] {
  return storeKeys(home).filter((key) => key.startsWith('robot:'));
}

/** `logout` keeps robot secrets (they are Harbor accounts of their own) and says how many; --forget-robots removes them. */
describe('logout and robot secrets', () => {
  let sandbox: Sandbox;
  let ctx: Home;
  useSandboxAndHome((s, h) => {
    sandbox = s;
    ctx = h;
  });

  it('logout counts the robot secrets it keeps; logout --forget-robots removes them', async () => {
    await logInAs(ctx.env, sandbox.approveDevice, 'alice');
    for (const name of ['ci-a', 'ci-b']) {
      const created = await runInProcess(['robot', 'create', name, '--project', 'demo', '--days', '3'], {
        env: ctx.env,
      });
      assert.equal(created.code, 0, created.stderr);
    }
    assert.equal(robotKeys(ctx.home).length, 2);

    const logout = await runInProcess(['logout'], { env: ctx.env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(
      logout.stdout,
      new RegExp(
        `^kept 2 robot secrets for ${sandbox.registryHost.replaceAll('.', '\\.')}: robots are Harbor accounts of their own and still work; logout --forget-robots removes them here$`,
        'm',
      ),
    );
    assert.equal(robotKeys(ctx.home).length, 2, 'kept');

    const forget = await runInProcess(['logout', '--forget-robots'], { env: ctx.env });
    assert.equal(forget.code, 0, forget.stderr);
    assert.match(
      forget.stdout,
      /^removed 2 robot secrets for \S+ from the store \(the robot accounts stay in Harbor until deleted: robot delete\)$/m,
    );
    assert.doesNotMatch(forget.stdout, /^kept /m);
    assert.deepEqual(robotKeys(ctx.home), []);

    const again = await runInProcess(['logout'], { env: ctx.env });
    assert.doesNotMatch(again.stdout + again.stderr, /robot/, 'nothing kept: nothing said');
    const bad = await runInProcess(['logout', '--forget'], { env: ctx.env });
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'docker-credential-eidf: unknown flag --forget for logout; did you mean --forget-robots?; see: docker-credential-eidf logout --help\n',
    );
  });

  it('logout --forget-all empties the store: robot secrets and what docker stored for other registries', async () => {
    await logInAs(ctx.env, sandbox.approveDevice, 'alice');
    const created = await runInProcess(['robot', 'create', 'ci-c', '--project', 'demo', '--days', '3'], {
      env: ctx.env,
    });
    assert.equal(created.code, 0, created.stderr);
    // As docker does with credsStore for any other registry.
    for (const registry of ['other.example', 'third.example:5000']) {
      const stored = await runInProcess(['store'], {
        env: ctx.env,
        input: JSON.stringify({ ServerURL: registry, Username: 'u', Secret: 'kept-elsewhere' }),
      });
      assert.equal(stored.code, 0, stored.stdout);
    }
    assert.equal(storeKeys(ctx.home).length, 4, storeKeys(ctx.home).join(', ')); // and the refresh token

    const logout = await runInProcess(['logout', '--forget-all'], { env: ctx.env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /^removed 1 robot secret for \S+ from the store/m);
    assert.match(
      logout.stdout,
      /^removed 2 other secrets from the store \(credentials docker stored for other registries, robot secrets\)$/m,
    );
    assert.deepEqual(storeKeys(ctx.home), []);
    const list = await runInProcess(['list'], { env: ctx.env });
    assert.deepEqual([list.code, list.stdout], [0, '{}\n'], 'the agent forgot them too, not only the store');
  });
});
