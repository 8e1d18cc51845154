import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHtpasswdRegistry, type LocalRegistry } from '../../scripts/local-registry.ts';
import { writeTinyOciImage } from '../../scripts/sandbox/oci-image.ts';
import { HELPER_BIN, REPO_ROOT, runCli, runProcess, TEST_COMPILE_CACHE } from '../helpers/cli.ts';
import { startPrivateKeyring, type PrivateKeyring } from '../helpers/keyring.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * The helper under real clients: the docker CLI (client-side login/logout, manifest inspect
 * through the helper) and skopeo, with a real registry and the real keychain (gnome-keyring on
 * a private D-Bus). The password must be in the keychain between login and logout, and never in
 * any config file.
 */
const PASSWORD = 'pw-Keychain-42';

describe('docker and skopeo through the helper, secrets in the keychain', () => {
  let keyring: PrivateKeyring;
  let registry: LocalRegistry;
  let work: string;
  let env: NodeJS.ProcessEnv;

  /** The keychain entry for the registry, read with secret-tool (attributes of @napi-rs/keyring). */
  const keychainEntry = () => {
    try {
      return execFileSync(
        'secret-tool',
        ['lookup', 'service', 'docker-credential-eidf', 'username', `registry:${registry.host}`],
        { env },
      ).toString();
    } catch {
      return '';
    }
  };

  before(async () => {
    keyring = await startPrivateKeyring();
    registry = await startHtpasswdRegistry('alice', PASSWORD);
    work = mkdtempSync(join(tmpdir(), 'eidf-e2e-'));
    env = {
      ...keyring.env,
      PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
      EIDF_HOME: join(work, 'eidf'),
      EIDF_STORE: 'keychain',
      EIDF_REGISTRY: `http://${registry.host}`,
      EIDF_ALLOW_INSECURE_LOOPBACK: '1',
      DOCKER_CONFIG: join(work, 'docker'),
      REGISTRY_AUTH_FILE: join(work, 'auth.json'),
      NODE_COMPILE_CACHE: TEST_COMPILE_CACHE,
    };
    const setup = await runInProcess(['setup'], { env });
    assert.equal(setup.code, 0, setup.stderr);
    await writeTinyOciImage(join(work, 'image'), 'e2e\n');
  });

  after(async () => {
    await runInProcess(['daemon', 'stop'], { env }).catch(() => undefined);
    await registry?.stop();
    await keyring?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const noSecretIn = (file: string) => {
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(PASSWORD), `${file} holds the password`);
    assert.doesNotMatch(text, /"auth"\s*:\s*"[^"]/, `${file} holds an auth value`);
    return JSON.parse(text) as { credHelpers?: Record<string, string> };
  };

  it('setup wired credHelpers (never credsStore) into both files', () => {
    for (const file of [join(work, 'docker', 'config.json'), join(work, 'auth.json')]) {
      const config = noSecretIn(file);
      assert.equal(config.credHelpers?.[registry.host], 'eidf');
      assert.ok(!('credsStore' in config));
    }
  });

  it('docker login → keychain; manifest inspect through the helper; logout erases', async () => {
    const login = await runProcess('docker', ['login', '-u', 'alice', '--password-stdin', registry.host], {
      env,
      input: PASSWORD,
    });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    noSecretIn(join(work, 'docker', 'config.json'));
    assert.deepEqual(JSON.parse(keychainEntry()), { Username: 'alice', Secret: PASSWORD });

    const push = await runProcess(
      'skopeo',
      ['copy', '--dest-tls-verify=false', `oci:${join(work, 'image')}:latest`, `docker://${registry.host}/e2e/tiny:1`],
      { env },
    );
    assert.equal(push.code, 0, `${push.stderr}\nagent log:\n${readFileSync(join(work, 'eidf', 'agent.log'), 'utf8')}`);
    const inspect = await runProcess('docker', ['manifest', 'inspect', '--insecure', `${registry.host}/e2e/tiny:1`], {
      env,
    });
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).schemaVersion, 2);

    const logout = await runProcess('docker', ['logout', registry.host], { env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.doesNotMatch(logout.stderr, /WARNING/);
    assert.equal(keychainEntry(), '');
    const denied = await runProcess('docker', ['manifest', 'inspect', '--insecure', `${registry.host}/e2e/tiny:1`], {
      env,
    });
    assert.notEqual(denied.code, 0);
    noSecretIn(join(work, 'docker', 'config.json'));
  });

  it('the same through skopeo: login, inspect, logout', async () => {
    const authfile = join(work, 'auth.json');
    const login = await runProcess(
      'skopeo',
      ['login', '--authfile', authfile, '--tls-verify=false', '-u', 'alice', '--password-stdin', registry.host],
      { env, input: PASSWORD },
    );
    assert.equal(login.code, 0, login.stderr);
    noSecretIn(authfile);
    assert.deepEqual(JSON.parse(keychainEntry()), { Username: 'alice', Secret: PASSWORD });
    const getLogin = await runProcess('skopeo', ['login', '--authfile', authfile, '--get-login', registry.host], {
      env,
    });
    assert.equal(getLogin.stdout.trim(), 'alice');
    const inspect = await runProcess(
      'skopeo',
      ['inspect', '--authfile', authfile, '--tls-verify=false', `docker://${registry.host}/e2e/tiny:1`],
      { env },
    );
    assert.equal(inspect.code, 0, inspect.stderr);
    const logout = await runProcess('skopeo', ['logout', '--authfile', authfile, registry.host], { env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.equal(keychainEntry(), '');
    noSecretIn(authfile);
  });

  it('the helper binary itself answers get from the keychain after an agent restart', async () => {
    const stored = await runCli(['store'], {
      env,
      input: JSON.stringify({ ServerURL: registry.host, Username: 'alice', Secret: PASSWORD }),
    });
    assert.equal(stored.code, 0, stored.stdout);
    await runInProcess(['daemon', 'stop'], { env });
    const got = await runCli(['get'], { env, input: registry.host });
    assert.deepEqual(JSON.parse(got.stdout), { ServerURL: registry.host, Username: 'alice', Secret: PASSWORD });
    await runCli(['erase'], { env, input: registry.host });
  });

  it('logout --forget-all (uninstall --purge) leaves no entry of the helper in the keychain', async () => {
    for (const host of [registry.host, 'other.example', 'third.example:5000']) {
      const stored = await runCli(['store'], {
        env,
        input: JSON.stringify({ ServerURL: host, Username: 'alice', Secret: PASSWORD }),
      });
      assert.equal(stored.code, 0, stored.stdout);
    }
    const entries = () =>
      execFileSync('secret-tool', ['search', '--all', 'service', 'docker-credential-eidf'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
    assert.equal(entries().match(/^label = .*@docker-credential-eidf$/gm)?.length, 3, entries());
    const logout = await runInProcess(['logout', '--forget-all'], { env });
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /^erased the stored registry secret for /m);
    assert.match(logout.stdout, /^removed 2 other secrets from the store /m);
    assert.equal(entries(), '');
  });

  it(`${HELPER_BIN.split('/').pop()} status names the keychain store`, async () => {
    const status = await runInProcess(['status', '--json'], { env });
    assert.equal(JSON.parse(status.stdout).store.kind, 'keychain');
  });
});
