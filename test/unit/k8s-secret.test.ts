import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { RegistryCredential } from '../../src/core/ports.ts';
import { goJson } from '../../src/core/go-json.ts';
import { renderDockerConfigJson } from '../../src/k8s/docker-config.ts';
import { renderPullSecret, type PullSecretSpec } from '../../src/k8s/secret.ts';
import { yamlName } from '../../src/k8s/yaml-name.ts';
import { eidfError } from '../helpers/errors.ts';

const robot: PullSecretSpec = {
  name: 'eidf-pull',
  namespace: 'demo',
  server: 'registry.eidf.ac.uk',
  credential: { Username: 'robot$demo+k8s-pull', Secret: 'Xk3-not-a-real-secret' },
};

// Captured once from `kubectl create secret docker-registry eidf-pull --docker-server=registry.eidf.ac.uk
// --docker-username='robot$demo+k8s-pull' --docker-password=Xk3-not-a-real-secret -n demo --dry-run=client -o yaml`
// (kubectl 1.32); test/integration/k8s-kubectl-parity.test.ts compares against the live binary.
const robotYaml = `apiVersion: v1
data:
  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5laWRmLmFjLnVrIjp7InVzZXJuYW1lIjoicm9ib3QkZGVtbytrOHMtcHVsbCIsInBhc3N3b3JkIjoiWGszLW5vdC1hLXJlYWwtc2VjcmV0IiwiYXV0aCI6ImNtOWliM1FrWkdWdGJ5dHJPSE10Y0hWc2JEcFlhek10Ym05MExXRXRjbVZoYkMxelpXTnlaWFE9In19fQ==
kind: Secret
metadata:
  creationTimestamp: null
  name: eidf-pull
  namespace: demo
type: kubernetes.io/dockerconfigjson
`;

test('YAML is byte-identical to kubectl for a robot account', () => {
  assert.equal(renderPullSecret(robot, 'yaml'), robotYaml);
});

test('JSON has kubectl -o json key order, four-space indent and a trailing newline', () => {
  const json = renderPullSecret(robot, 'json');
  assert.ok(json.endsWith('}\n'));
  assert.ok(
    json.startsWith(
      '{\n    "kind": "Secret",\n    "apiVersion": "v1",\n    "metadata": {\n        "name": "eidf-pull",\n',
    ),
  );
  const parsed = JSON.parse(json);
  assert.deepEqual(Object.keys(parsed), ['kind', 'apiVersion', 'metadata', 'data', 'type']);
  assert.deepEqual(parsed.metadata, { name: 'eidf-pull', namespace: 'demo', creationTimestamp: null });
  assert.deepEqual(Object.keys(parsed.metadata), ['name', 'namespace', 'creationTimestamp']);
  assert.equal(parsed.type, 'kubernetes.io/dockerconfigjson');
  assert.equal(parsed.data['.dockerconfigjson'], robotYaml.match(/\.dockerconfigjson: (\S+)/)![1]);
});

test('decoded .dockerconfigjson: compact, username/password/auth in that order, auth = base64(user:password)', () => {
  assert.equal(
    renderDockerConfigJson(robot.server, robot.credential),
    '{"auths":{"registry.eidf.ac.uk":{"username":"robot$demo+k8s-pull","password":"Xk3-not-a-real-secret","auth":"cm9ib3QkZGVtbytrOHMtcHVsbDpYazMtbm90LWEtcmVhbC1zZWNyZXQ="}}}',
  );
  // The test-rig vector (kubectl's output, less the e-mail we never pass).
  assert.equal(
    renderDockerConfigJson('registry.example:5000', { Username: 'alice', Secret: 'p@ss:w"rd' }),
    '{"auths":{"registry.example:5000":{"username":"alice","password":"p@ss:w\\"rd","auth":"YWxpY2U6cEBzczp3InJk"}}}',
  );
  // The server is a verbatim key, as with kubectl.
  const https = JSON.parse(renderDockerConfigJson('https://registry.example/v1/', { Username: 'a', Secret: 'pw' }));
  assert.deepEqual(Object.keys(https.auths), ['https://registry.example/v1/']);
  assert.equal(https.auths['https://registry.example/v1/'].auth, 'YTpwdw==');
});

test('no namespace: metadata has none, like kubectl without -n', () => {
  const { namespace: _, ...spec } = robot;
  assert.doesNotMatch(renderPullSecret(spec, 'yaml'), /namespace/);
  assert.deepEqual(JSON.parse(renderPullSecret(spec, 'json')).metadata, { name: 'eidf-pull', creationTimestamp: null });
});

test('strings are escaped like Go encoding/json (HTML characters, U+2028/9, control characters)', () => {
  const cases: Array<[string, string]> = [
    ['plain $+', '"plain $+"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['<>&', '"\\u003c\\u003e\\u0026"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['\x01\x1f\x7f', '"\\u0001\\u001f\x7f"'],
    ['é😀', '"é😀"'],
  ];
  for (const [input, expected] of cases) assert.equal(goJson(input), expected, JSON.stringify(input));
});

test('names that YAML would read as bool, null, number or date are double-quoted, others plain', () => {
  const quoted = [
    'y',
    'yes',
    'n',
    'no',
    'true',
    'false',
    'on',
    'off',
    'null',
    '0',
    '123',
    '0777',
    '08',
    '0x1f',
    '0o17',
    '0b101',
    '1e3',
    '1.5',
    '1.',
    '2001-12-14',
    '2001-1-2',
    '1e-3',
    'e3',
    'e-3',
  ];
  const plain = [
    'eidf-pull',
    '1abc',
    'a.b-c',
    'yes-no',
    'nulls',
    '0x',
    '0xg',
    '1e',
    '1-2',
    '2001-12-14-a',
    'x1',
    'e',
    'e3a',
    'inf',
    'nan',
  ];
  for (const name of quoted) assert.equal(yamlName(name), `"${name}"`, name);
  for (const name of plain) assert.equal(yamlName(name), name, name);
  // Every one reads back as the same string under both YAML versions.
  for (const name of [...quoted, ...plain]) {
    for (const version of ['1.1', '1.2'] as const)
      assert.equal(parse(`name: ${yamlName(name)}`, { version }).name, name, `${name} (YAML ${version})`);
  }
  assert.throws(() => yamlName('Not Validated'), { code: 'INTERNAL' });
});

test('a quoted name renders and parses back as the same string', () => {
  const yaml = renderPullSecret({ ...robot, name: '2001-12-14', namespace: '123' }, 'yaml');
  assert.match(yaml, /\n {2}name: "2001-12-14"\n {2}namespace: "123"\n/);
});

test('bad input is refused in one line before rendering, and never echoes the password', () => {
  const password = 'S3cret-Value-do-not-echo';
  const login = (credential: Partial<RegistryCredential>) => ({
    credential: { ...robot.credential, Secret: password, ...credential },
  });
  const bad: Array<[Partial<PullSecretSpec>, RegExp]> = [
    [{ name: 'Bad_Name' }, /^secret name "Bad_Name" is not valid/],
    [{ namespace: 'kube.system' }, /^namespace "kube.system" is not valid/],
    [{ name: '' }, /^secret name must not be empty$/],
    [{ server: '' }, /^registry server must not be empty$/],
    [login({ Username: '' }), /^registry username must not be empty$/],
    [login({ Secret: '' }), /^registry password must not be empty$/],
    [login({ Username: 'a:b' }), /^registry username must not contain ":"$/],
    [login({ Secret: `${password}\ud800` }), /^registry password is not valid Unicode text$/],
  ];
  for (const [override, message] of bad) {
    for (const format of ['yaml', 'json'] as const) {
      assert.throws(
        () => renderPullSecret({ ...robot, ...login({}), ...override }, format),
        eidfError('USAGE', message, [password]),
      );
    }
  }
  assert.throws(() => renderPullSecret(robot, 'toml' as 'yaml'), {
    code: 'USAGE',
    message: /unknown manifest format "toml"/,
  });
});
