import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeTinyOciImage } from '../../scripts/sandbox/oci-image.ts';
import { startSandbox } from '../../scripts/sandbox/sandbox.ts';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { bearer, call, deviceLogin, run } from './helpers.ts';

/** Real skopeo against the real registry behind the sandbox's Harbor origin. */
describe("registry: skopeo push and pull through Harbor's token service", () => {
  let sandbox: Sandbox;
  let work: string;
  let image: string;
  let imageDigest: string;
  let aliceToken: string;

  /** Credentials go in an auth file (never argv), as the product's users would have them. */
  async function authFile(name: string, username: string, secret: string): Promise<string> {
    const path = join(work, `${name}.json`);
    const auth = Buffer.from(`${username}:${secret}`).toString('base64');
    await writeFile(path, JSON.stringify({ auths: { [sandbox.registryHost]: { auth } } }), { mode: 0o600 });
    return path;
  }
  const push = (auth: string, ref: string) =>
    run('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      '--authfile',
      auth,
      `oci:${image}:latest`,
      `docker://${sandbox.registryHost}/${ref}`,
    ]);
  const inspect = (auth: string, ref: string) =>
    run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--authfile',
      auth,
      `docker://${sandbox.registryHost}/${ref}`,
    ]);
  const pull = (auth: string, ref: string, dir: string) =>
    run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--authfile',
      auth,
      `docker://${sandbox.registryHost}/${ref}`,
      `oci:${dir}:latest`,
    ]);

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05 });
    work = await mkdtemp(join(tmpdir(), 'eidf-sandbox-e2e-'));
    image = join(work, 'image');
    await writeTinyOciImage(image, 'sandbox e2e\n');
    imageDigest = (
      JSON.parse(await readFile(join(image, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }
    ).manifests[0].digest;
    aliceToken = (await deviceLogin(sandbox, 'alice')).id_token as string;
  });
  after(async () => {
    await sandbox.stop();
    await rm(work, { recursive: true, force: true });
  });

  test("/v2/ challenges with Harbor's realm and service", async () => {
    const res = await call(sandbox, 'GET', '/v2/');
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer realm="${sandbox.registryUrl}/service/token",service="harbor-registry"`,
    );
  });

  test('alice pushes and pulls with her CLI secret; the digest survives the round trip', async () => {
    const auth = await authFile('alice', 'alice', sandbox.cliSecretOf('alice') as string);
    const pushed = await push(auth, 'demo/tiny:1');
    assert.equal(pushed.code, 0, pushed.stderr);
    const out = join(work, 'pulled-alice');
    const pulled = await pull(auth, 'demo/tiny:1', out);
    assert.equal(pulled.code, 0, pulled.stderr);
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    assert.equal(index.manifests[0].digest, imageDigest);
    const projects = await call(sandbox, 'GET', '/api/v2.0/projects', { auth: bearer(aliceToken) });
    const demo = (projects.json as Array<{ name: string; repo_count: number }>).find((p) => p.name === 'demo');
    assert.equal(demo?.repo_count, 1, 'repo_count comes from the real registry');
  });

  test('a wrong secret is refused by the token service', async () => {
    const auth = await authFile('wrong', 'alice', 'Wrong-Secret-123');
    const res = await inspect(auth, 'demo/tiny:1');
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /unauthorized|authentication required/i);
  });

  test('bob (developer in demo) pushes to demo but may not push to library', async () => {
    const auth = await authFile('bob', 'bob', sandbox.cliSecretOf('bob') as string);
    const ok = await push(auth, 'demo/bob-image:1');
    assert.equal(ok.code, 0, ok.stderr);
    const denied = await push(auth, 'library/bob-image:1');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /denied|unauthorized/i);
  });

  test('a robot pushes and pulls with its secret; a pull-only robot cannot push', async () => {
    const create = async (name: string, actions: string[]) => {
      const res = await call(sandbox, 'POST', '/api/v2.0/robots', {
        auth: bearer(aliceToken),
        body: {
          name,
          level: 'project',
          duration: 30,
          permissions: [
            {
              kind: 'project',
              namespace: 'demo',
              access: actions.map((action) => ({ resource: 'repository', action })),
            },
          ],
        },
      });
      assert.equal(res.status, 201, res.text);
      return res.json as { name: string; secret: string };
    };
    const ci = await create('ci', ['pull', 'push']);
    const ciAuth = await authFile('robot-ci', ci.name, ci.secret);
    const pushed = await push(ciAuth, 'demo/from-robot:1');
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await pull(ciAuth, 'demo/tiny:1', join(work, 'pulled-robot'));
    assert.equal(pulled.code, 0, pulled.stderr);

    const reader = await create('reader', ['pull']);
    const readerAuth = await authFile('robot-reader', reader.name, reader.secret);
    assert.equal((await inspect(readerAuth, 'demo/tiny:1')).code, 0);
    const denied = await push(readerAuth, 'demo/from-reader:1');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /denied|unauthorized/i);
  });

  test('anonymous callers cannot read a private project', async () => {
    const auth = join(work, 'empty.json');
    await writeFile(auth, '{"auths":{}}');
    const res = await inspect(auth, 'demo/tiny:1');
    assert.notEqual(res.code, 0);
  });
});
