import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { b64, HOST, put, setupRig, tab, text } from '../helpers/setup-rig.ts';

// The real docker CLI and skopeo read the files setup writes. The helper they find on PATH is a
// tiny script that logs its verb: this tests the file wiring, not the helper.
const FAKE_HELPER = `#!/bin/sh
input=$(cat)
printf '%s %s\\n' "$1" "$input" >> "$FAKE_HELPER_LOG"
if [ "$1" = get ]; then printf '{"ServerURL":"%s","Username":"alice","Secret":"from-helper"}\\n' "$input"; fi
`;

const missing = ['docker', 'skopeo'].filter(
  (tool) => !(process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, tool))),
);

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test(
  'docker and skopeo call docker-credential-eidf after setup',
  { skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false },
  async (t) => {
    const rig = await setupRig(t);
    const bin = join(rig.dir, 'bin');
    const log = join(rig.dir, 'helper.log');
    await mkdir(rig.env.HOME, { recursive: true });
    await put(join(bin, 'docker-credential-eidf'), FAKE_HELPER, 0o755);
    const base = { PATH: `${bin}:${process.env.PATH}`, HOME: rig.env.HOME, FAKE_HELPER_LOG: log };
    const calls = async () => (existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : []);
    // skopeo sees only the runtime auth.json: Docker's config is elsewhere and HOME is empty.
    const skopeoEnv = { ...base, XDG_RUNTIME_DIR: rig.env.XDG_RUNTIME_DIR };
    await mkdir(rig.env.XDG_RUNTIME_DIR, { recursive: true });

    // Given a plaintext login, before setup: neither tool asks our helper
    await put(rig.dockerFile, tab({ auths: { [HOST]: { auth: b64('alice:pw') } } }));
    const before = await run('skopeo', ['login', '--get-login', HOST], skopeoEnv);
    assert.notEqual(before.code, 0, before.stdout);
    assert.deepEqual(await calls(), []);

    // When setup runs
    await rig.run();
    assert.equal(await text(rig.dockerFile), tab({ auths: {}, credHelpers: { [HOST]: 'eidf' } }));

    // Then docker logout erases through our helper (docker reads credHelpers from $DOCKER_CONFIG/config.json)
    const logout = await run('docker', ['logout', HOST], { ...base, DOCKER_CONFIG: rig.env.DOCKER_CONFIG });
    assert.equal(logout.code, 0, logout.stderr);
    assert.ok((await calls()).includes(`erase ${HOST}`), (await calls()).join('; '));

    // and skopeo asks our helper through $XDG_RUNTIME_DIR/containers/auth.json
    const login = await run('skopeo', ['login', '--get-login', HOST], skopeoEnv);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout.trim(), 'alice');
    assert.ok((await calls()).includes(`get ${HOST}`));

    // and through a file named by REGISTRY_AUTH_FILE, read with --authfile
    const custom = join(rig.dir, 'custom', 'auth.json');
    await rig.run({ env: { ...rig.env, REGISTRY_AUTH_FILE: custom } });
    const callsBefore = (await calls()).length;
    const authfile = await run('skopeo', ['login', '--get-login', '--authfile', custom, HOST], base);
    assert.equal(authfile.code, 0, authfile.stderr);
    assert.deepEqual((await calls()).slice(callsBefore), [`get ${HOST}`]);
  },
);
