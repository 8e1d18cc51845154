import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type Env } from '../../src/config.ts';
import { EidfError } from '../../src/core/errors.ts';
import { registryKey } from '../../src/core/registry-url.ts';
import { eidfError } from '../helpers/errors.ts';

const noFile = () => undefined;
const load = (env: Env, file?: string) => loadConfig({ HOME: '/home/u', ...env }, 1000, () => file);

describe('registryKey', () => {
  const same = [
    'reg.example:5000',
    'https://reg.example:5000',
    'https://reg.example:5000/v2/',
    'http://reg.example:5000/',
    'https://user@reg.example:5000/path?q=1',
  ];
  for (const input of same)
    it(`${input} → reg.example:5000`, () => assert.equal(registryKey(input), 'reg.example:5000'));
  it('a host without the port is another key', () => assert.equal(registryKey('reg.example'), 'reg.example'));
  it('docker hub keeps its legacy key', () => assert.equal(registryKey('docker.io'), 'https://index.docker.io/v1/'));
  for (const bad of ['', '   ', 'reg example', 'https://']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => registryKey(bad), EidfError));
  }
});

describe('loadConfig', () => {
  it('defaults to the EIDF registry over https and auto store', () => {
    const config = loadConfig({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, noFile);
    assert.equal(config.registry, 'registry.eidf.ac.uk');
    assert.equal(config.registryUrl, 'https://registry.eidf.ac.uk');
    assert.equal(config.store, 'auto');
    assert.equal(config.paths.socket, '/run/user/1000/docker-credential-eidf/agent.sock');
    assert.equal(config.paths.configFile, '/home/u/.config/docker-credential-eidf/config.json');
  });

  it('EIDF_HOME replaces every per-user path', () => {
    const { paths } = load({ EIDF_HOME: '/tmp/e', XDG_RUNTIME_DIR: '/run/user/1000' });
    assert.deepEqual(paths, {
      home: '/tmp/e',
      configFile: '/tmp/e/config.json',
      runtimeDir: '/tmp/e/run',
      socket: '/tmp/e/run/agent.sock',
      fileStore: '/tmp/e/secrets.json',
      logFile: '/tmp/e/agent.log',
    });
  });

  it('the environment wins over the config file, the file over defaults', () => {
    const file = JSON.stringify({ registry: 'file.example', store: 'file', keepAliveSeconds: 60 });
    const config = load({ EIDF_STORE: 'memory' }, file);
    assert.equal(config.registry, 'file.example');
    assert.equal(config.store, 'memory');
    assert.equal(config.keepAliveSeconds, 60);
  });

  it('an http registry on loopback needs EIDF_ALLOW_INSECURE_LOOPBACK=1', () => {
    assert.throws(
      () => load({ EIDF_REGISTRY: 'http://127.0.0.1:5000' }),
      /EIDF_REGISTRY is http:\/\/; set EIDF_ALLOW_INSECURE_LOOPBACK=1/,
    );
    const config = load({ EIDF_REGISTRY: 'http://127.0.0.1:5000', EIDF_ALLOW_INSECURE_LOOPBACK: '1' });
    assert.equal(config.registry, '127.0.0.1:5000');
    assert.equal(config.registryUrl, 'http://127.0.0.1:5000');
  });

  const bad: Array<[Env, RegExp, string?]> = [
    [{ EIDF_STORE: 'vault' }, /^invalid configuration: EIDF_STORE must be one of auto, keychain, memory, file$/],
    [{ EIDF_REGISTRY: 'not a host' }, /EIDF_REGISTRY must be a registry host/],
    [
      { EIDF_OIDC_ISSUER: 'http://idp.example', EIDF_ALLOW_INSECURE_LOOPBACK: '1' },
      /EIDF_OIDC_ISSUER must be an https:\/\/ URL \(http:\/\/ is allowed only for loopback hosts\)/,
    ],
    [{ EIDF_OIDC_SCOPES: 'openid email' }, /EIDF_OIDC_SCOPES must include offline_access/],
    [{ EIDF_KEEPALIVE_SECONDS: '-5' }, /EIDF_KEEPALIVE_SECONDS must be a whole number/],
    [{ EIDF_LOGIN_ON_GET: 'sometimes' }, /EIDF_LOGIN_ON_GET must be one of auto, never/],
    [{ EIDF_HOME: 'relative/path' }, /EIDF_HOME must be an absolute path/],
    [{ EIDF_HOME: `/tmp/${'x'.repeat(100)}` }, /EIDF_HOME gives a socket path longer than 100 bytes/],
    [{}, /config.json is not valid JSON/, '{"registry": '],
    [{}, /config.json must hold a JSON object/, '[]'],
  ];
  for (const [env, message, file] of bad) {
    it(`rejects ${JSON.stringify(env)}${file ? ` with file ${file}` : ''} in one line`, () => {
      assert.throws(() => load(env, file), eidfError('CONFIG_INVALID', message));
    });
  }
});
