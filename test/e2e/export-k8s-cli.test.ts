import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { writeTinyOciImage } from '../../scripts/sandbox/oci-image.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { isolatedHome, runProcess } from '../helpers/cli.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * export-k8s and robot rotate as a user runs them: the CLI as a process, after `login`, against
 * the sandbox; kubectl for parity, skopeo to pull with what was exported, and a recording kubectl
 * for --apply (no cluster runs here).
 */
describe('export-k8s from the command line', () => {
  let sandbox: Sandbox;
  let ctx: ReturnType<typeof isolatedHome>;
  let env: NodeJS.ProcessEnv;
  const image = () => `docker://${sandbox.registryHost}/demo/k8s:1`;
  const decoded = (manifest: string) =>
    Buffer.from((parse(manifest) as { data: Record<string, string> }).data['.dockerconfigjson'], 'base64').toString(
      'utf8',
    );
  const pullsWith = async (dockerConfigJson: string, name: string) => {
    const authfile = join(ctx.home, `${name}.json`);
    writeFileSync(authfile, dockerConfigJson, { mode: 0o600 });
    return (
      await runProcess('skopeo', ['inspect', '--tls-verify=false', '--authfile', authfile, image()], {
        env: { PATH: process.env.PATH, HOME: ctx.home },
      })
    ).code;
  };

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, autoApprove: 'alice' });
    ctx = isolatedHome({ EIDF_STORE: 'file' });
    env = { ...ctx.env, ...sandbox.env };
    assert.equal((await runInProcess(['login', '--no-browser'], { env })).code, 0);
    await writeTinyOciImage(join(ctx.home, 'img'), 'k8s\n');
    const push = await runProcess(
      'skopeo',
      [
        'copy',
        '--dest-tls-verify=false',
        '--dest-creds',
        `alice:${sandbox.cliSecretOf('alice')}`,
        `oci:${join(ctx.home, 'img')}:latest`,
        image(),
      ],
      { env: { PATH: process.env.PATH, HOME: ctx.home } },
    );
    assert.equal(push.code, 0, push.stderr); // (test fixture: the secret in skopeo's argv is the sandbox's)
  });
  after(async () => {
    await ctx?.cleanup();
    await sandbox?.stop();
  });

  it("prints a Secret equal to kubectl's for the same credential, which pulls; a second run reuses the robot", async () => {
    const first = await runInProcess(['export-k8s', '--namespace', 'ns', '--project', 'demo'], { env });
    assert.equal(first.code, 0, first.stderr);
    const login = JSON.parse(decoded(first.stdout)).auths[sandbox.registryHost] as {
      username: string;
      password: string;
    };
    assert.equal(login.username, 'robot$demo+k8s-pull');
    const kubectl = await runProcess(
      'kubectl',
      [
        'create',
        'secret',
        'docker-registry',
        'eidfreg',
        '-n',
        'ns',
        `--docker-server=${sandbox.registryHost}`,
        `--docker-username=${login.username}`,
        `--docker-password=${login.password}`,
        '--dry-run=client',
        '-o',
        'yaml',
      ],
      { env: { PATH: process.env.PATH, KUBECONFIG: '/nonexistent' } },
    );
    assert.equal(decoded(first.stdout), decoded(kubectl.stdout));
    assert.equal(await pullsWith(decoded(first.stdout), 'first'), 0);

    const second = await runInProcess(['export-k8s', '--namespace', 'ns', '--project', 'demo'], { env });
    assert.equal(decoded(second.stdout), decoded(first.stdout));
  });

  it('robot rotate changes the secret; the old one stops working', async () => {
    const before = decoded(
      (await runInProcess(['export-k8s', '--namespace', 'ns', '--project', 'demo'], { env })).stdout,
    );
    const rotated = await runInProcess(['robot', 'rotate', 'k8s-pull', '--project', 'demo'], { env });
    assert.equal(rotated.code, 0, rotated.stderr);
    const after = decoded(
      (await runInProcess(['export-k8s', '--namespace', 'ns', '--project', 'demo'], { env })).stdout,
    );
    assert.notEqual(after, before);
    assert.equal(await pullsWith(after, 'after'), 0);
    assert.notEqual(await pullsWith(before, 'before'), 0);
  });

  it('--apply hands kubectl the Secret on stdin; no secret in its argv', async () => {
    const bin = join(ctx.home, 'fakebin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/argv"\ncat > "${bin}/stdin"\n`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    const applied = await runInProcess(
      ['export-k8s', '--namespace', 'ns', '--project', 'demo', '--apply', '--context', 'ctx'],
      { env: { ...env, PATH: `${bin}:${env.PATH}` } },
    );
    assert.equal(applied.code, 0, applied.stderr);
    const secret = JSON.parse(decoded(readFileSync(join(bin, 'stdin'), 'utf8'))).auths[sandbox.registryHost]
      .password as string;
    const argv = readFileSync(join(bin, 'argv'), 'utf8');
    assert.equal(argv, '--context=ctx\napply\n-f\n-\n');
    assert.ok(!argv.includes(secret) && !applied.stdout.includes(secret) && !applied.stderr.includes(secret));
  });
});
