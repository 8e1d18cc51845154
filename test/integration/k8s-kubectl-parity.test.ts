import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { renderPullSecret, type PullSecretSpec } from '../../src/k8s/secret.ts';

// Parity with the real `kubectl create secret docker-registry … --dry-run=client`, which needs no cluster.
// The fixture passes the password to kubectl in argv: fine for made-up test values, and exactly what the
// product itself never does (it pipes manifests to `kubectl apply -f -`).

const run = promisify(execFile);
const home = await mkdtemp(join(tmpdir(), 'eidf-k8s-kubectl-'));
after(() => rm(home, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: '/nonexistent' };
const kubectlMissing = await run('kubectl', ['version', '--client'], { env }).then(
  () => false,
  () => true,
);
const skip = kubectlMissing && 'kubectl is not installed';

async function kubectl(spec: PullSecretSpec, format: 'yaml' | 'json'): Promise<string> {
  const args = [
    'create',
    'secret',
    'docker-registry',
    spec.name,
    `--docker-server=${spec.server}`,
    `--docker-username=${spec.credential.Username}`,
    `--docker-password=${spec.credential.Secret}`,
    ...(spec.namespace === undefined ? [] : [`--namespace=${spec.namespace}`]),
    '--dry-run=client',
    '-o',
    format,
  ];
  return (await run('kubectl', args, { env, encoding: 'utf8' })).stdout;
}

const decoded = (secret: { data: Record<string, string> }): Buffer =>
  Buffer.from(secret.data['.dockerconfigjson'], 'base64');

const logins: Array<{ label: string; spec: PullSecretSpec }> = [
  {
    label: 'robot account with $ and +',
    spec: {
      name: 'eidf-pull',
      namespace: 'demo',
      server: 'registry.eidf.ac.uk',
      credential: { Username: 'robot$demo+k8s-pull', Secret: 'Q4yZpW0vN8kR2mT6cJ1hL5sX9dF3gB7a' },
    },
  },
  {
    label: 'server with a port, password with " and :',
    spec: {
      name: 'x',
      namespace: 'eidf',
      server: 'registry.example:5000',
      credential: { Username: 'alice', Secret: 'p@ss:w"rd' },
    },
  },
  {
    label: 'backslash, unicode, HTML characters, U+2028, control characters',
    spec: {
      name: 'tricky.secret',
      namespace: 'ns-1',
      server: 'https://registry.example:8443/v1/',
      credential: { Username: 'jürgen', Secret: 'a\\b"c:d é 😀 <tag>&amp; \u2028\u2029 \t\n\r\b\f\x01\x1f\x7f' },
    },
  },
  {
    label: 'password that looks like a flag, no namespace',
    spec: {
      name: 'regcred',
      server: 'localhost:5000',
      credential: { Username: 'robot$p+n', Secret: '--namespace=kube-system -o json' },
    },
  },
  {
    label: 'long password (base64 stays on one line)',
    spec: {
      name: 'long',
      namespace: 'default',
      server: 'registry.eidf.ac.uk',
      credential: { Username: 'u', Secret: 'Zz9'.repeat(100) },
    },
  },
];

for (const { label, spec } of logins) {
  test(`same Secret as kubectl -o yaml: ${label}`, { skip }, async () => {
    const [theirs, ours] = [await kubectl(spec, 'yaml'), renderPullSecret(spec, 'yaml')];
    assert.ok(decoded(parse(ours)).equals(decoded(parse(theirs))), 'decoded .dockerconfigjson byte-identical');
    assert.deepEqual(parse(ours), parse(theirs));
    assert.equal(ours, theirs);
    // And the decoded JSON really carries the login.
    const entry = JSON.parse(decoded(parse(ours)).toString('utf8')).auths[spec.server];
    assert.deepEqual(entry, {
      username: spec.credential.Username,
      password: spec.credential.Secret,
      auth: Buffer.from(`${spec.credential.Username}:${spec.credential.Secret}`).toString('base64'),
    });
  });

  test(`same Secret as kubectl -o json: ${label}`, { skip }, async () => {
    const [theirs, ours] = [await kubectl(spec, 'json'), renderPullSecret(spec, 'json')];
    assert.ok(decoded(JSON.parse(ours)).equals(decoded(JSON.parse(theirs))));
    assert.deepEqual(JSON.parse(ours), JSON.parse(theirs));
    assert.equal(ours, theirs);
  });
}

test('names YAML would misread are quoted exactly where kubectl quotes them', { skip }, async () => {
  const names = [
    '123',
    '1abc',
    'y',
    'yes',
    'no',
    'on',
    'off',
    'true',
    'null',
    '1e3',
    '1.5',
    '0x1f',
    '0o17',
    '0b101',
    '0777',
    '2001-12-14',
    'a.b-c',
    'yes-no',
    '0x',
  ];
  const login = { server: 'registry.example', credential: { Username: 'u', Secret: 'p' } };
  await Promise.all(
    names.map(async (name) => {
      const spec = { ...login, name, ...(name.includes('.') ? {} : { namespace: name }) };
      assert.equal(renderPullSecret(spec, 'yaml'), await kubectl(spec, 'yaml'), name);
    }),
  );
});

test(
  'where we quote and kubectl does not, ours still reads back as the name under YAML 1.1 and 1.2',
  { skip },
  async () => {
    // Impossible dates, hex beyond 64 bits, `e3`: go-yaml leaves them plain, but other parsers misread them
    // (the `yaml` package reads kubectl's plain 0x1ffffffffffffffff as a number, `e3` as a float in 1.1).
    for (const name of ['2024-13-45', '0x1ffffffffffffffff', 'e3']) {
      const spec = { server: 'registry.example', credential: { Username: 'u', Secret: 'p' }, name, namespace: 'demo' };
      const [ours, theirs] = [renderPullSecret(spec, 'yaml'), await kubectl(spec, 'yaml')];
      assert.match(ours, new RegExp(`name: "${name}"`));
      assert.match(theirs, new RegExp(`name: ${name}\\n`));
      for (const version of ['1.1', '1.2'] as const) assert.equal(parse(ours, { version }).metadata.name, name);
      assert.equal(ours.replace(`"${name}"`, name), theirs, 'the quotes are the only difference');
    }
  },
);
