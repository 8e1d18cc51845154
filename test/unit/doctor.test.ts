import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatChecks } from '../../src/cli/commands/doctor.ts';
import { judgeAuthFile, pathCheck, thisProgram } from '../../src/doctor/local-checks.ts';
import { EidfError } from '../../src/core/errors.ts';
import {
  check,
  discoveryUrl,
  judgeDiscovery,
  judgeNoIssuer,
  judgeSecret,
  judgeSession,
  judgeStore,
  judgeSystemInfo,
} from '../../src/doctor/verdicts.ts';
import type { SecretStatus } from '../../src/credentials/secret-keeper.ts';
import type { SessionStatus } from '../../src/session/types.ts';

/** The doctor's verdicts, as pure functions of what was observed. */

const ISSUER = 'https://idp.example/realms/safe';
const HOST = 'registry.example.org';

function secret(overrides: Partial<SecretStatus>): SecretStatus {
  return {
    state: 'valid',
    mode: 'oidc',
    modeReason: 'read from Harbor with the OIDC session',
    username: 'alice',
    lastCheckAt: null,
    lastValidAt: null,
    validSince: null,
    deadSince: null,
    nextCheckAt: null,
    lastError: null,
    action: null,
    ...overrides,
  };
}

function session(overrides: Partial<SessionStatus>): SessionStatus {
  return {
    state: 'logged-in',
    issuer: ISSUER,
    subject: 'sub-1',
    username: 'alice',
    email: null,
    idTokenExpiresAt: null,
    nextRefreshAt: null,
    lastError: null,
    loginPrompt: null,
    refreshTokenUnsaved: null,
    ...overrides,
  };
}

describe('discovery', () => {
  it('the URL is appended to the issuer path, as openid-client asks for it', () => {
    assert.equal(discoveryUrl(ISSUER), 'https://idp.example/realms/safe/.well-known/openid-configuration');
    assert.equal(discoveryUrl('https://idp.example/'), 'https://idp.example/.well-known/openid-configuration');
  });

  it('ok when the issuer matches and the device login is offered over https', () => {
    const verdict = judgeDiscovery(
      ISSUER,
      { issuer: ISSUER, device_authorization_endpoint: `${ISSUER}/device` },
      false,
    );
    assert.equal(verdict.status, 'ok');
  });

  it('another issuer in the document: fail, saying which value to set', () => {
    const verdict = judgeDiscovery(
      ISSUER,
      { issuer: `${ISSUER}/`, device_authorization_endpoint: `${ISSUER}/device` },
      false,
    );
    assert.equal(verdict.status, 'fail');
    assert.equal(verdict.action, `set EIDF_OIDC_ISSUER to ${ISSUER}/ exactly`);
  });

  it('no device_authorization_endpoint: fail naming it', () => {
    const verdict = judgeDiscovery(ISSUER, { issuer: ISSUER }, false);
    assert.equal(verdict.status, 'fail');
    assert.match(verdict.message, /no device_authorization_endpoint/);
  });

  it('an http:// device endpoint: only on loopback, and only when insecure loopback is allowed', () => {
    const loopback = 'http://127.0.0.1:4000';
    const doc = { issuer: loopback, device_authorization_endpoint: `${loopback}/device` };
    assert.equal(judgeDiscovery(loopback, doc, true).status, 'ok');
    assert.equal(judgeDiscovery(loopback, doc, false).status, 'fail');
    assert.equal(
      judgeDiscovery(ISSUER, { issuer: ISSUER, device_authorization_endpoint: 'http://idp.example/device' }, true)
        .status,
      'fail',
    );
  });
});

describe('systeminfo', () => {
  const url = `https://${HOST}`;
  it('oidc_auth: ok with version and provider', () => {
    const verdict = judgeSystemInfo(url, { authMode: 'oidc_auth', harborVersion: 'v2.11.2', oidcProviderName: 'SAFE' });
    assert.deepEqual(verdict, check('harbor', 'ok', `Harbor v2.11.2 at ${url}, OIDC mode (SAFE)`));
  });
  it('db_auth: fail, "not in OIDC mode"', () => {
    const verdict = judgeSystemInfo(url, { authMode: 'db_auth', harborVersion: null, oidcProviderName: null });
    assert.equal(verdict.status, 'fail');
    assert.equal(verdict.message, `Harbor at ${url} is not in OIDC mode (auth_mode db_auth)`);
  });
  it('unreachable: warn; anything else it answers: fail', () => {
    assert.equal(
      judgeSystemInfo(url, new EidfError('HARBOR_UNREACHABLE', 'Harbor at x is unreachable (connection failed)'))
        .status,
      'warn',
    );
    assert.equal(
      judgeSystemInfo(url, new EidfError('HARBOR_ERROR', 'Harbor found nothing for reading systeminfo (HTTP 404)'))
        .status,
      'fail',
    );
  });
});

describe('session and registry secret', () => {
  it('no issuer: CLI-secret mode, not a fault; without a secret it names the login that works (no circle)', () => {
    assert.equal(judgeNoIssuer(secret({ state: 'valid', mode: 'stored-secret' })).status, 'ok');
    const none = judgeNoIssuer(secret({ state: 'no-credential', username: null }));
    assert.equal(none.status, 'ok');
    assert.match(none.action ?? '', /^run: docker-credential-eidf login \(it asks for your Harbor CLI secret\)/);
  });

  it('session: logged in ok; waiting for approval warn with the URL; logged out fail, or warn when a stored secret works', () => {
    assert.equal(judgeSession(session({}), secret({})).status, 'ok');
    const prompt = {
      verification_uri: 'https://idp/device',
      verification_uri_complete: 'https://idp/device?user_code=AB',
      user_code: 'AB',
      expires_at: '',
    };
    const waiting = judgeSession(
      session({ state: 'logging-in', loginPrompt: prompt }),
      secret({ state: 'no-credential' }),
    );
    assert.equal(waiting.status, 'warn');
    assert.match(waiting.action ?? '', /https:\/\/idp\/device\?user_code=AB \(code AB\)/);
    const out = session({
      state: 'logged-out',
      subject: null,
      lastError: { code: 'NOT_LOGGED_IN', message: 'the session has ended' },
    });
    assert.deepEqual(
      judgeSession(out, secret({ state: 'no-credential' })),
      check('session', 'fail', 'not logged in: the session has ended', 'run: docker-credential-eidf login'),
    );
    assert.equal(judgeSession(out, secret({ state: 'valid', mode: 'stored-secret' })).status, 'warn');
  });

  it("registry secret: valid ok; dead, not onboarded, none: fail with the keeper's action line", () => {
    assert.equal(judgeSecret(secret({}), '/log').status, 'ok');
    for (const state of ['needs-web-login', 'not-onboarded', 'no-credential'] as const) {
      const verdict = judgeSecret(secret({ state, username: null, action: `do the ${state} thing` }), '/log');
      assert.equal(verdict.status, 'fail', state);
      assert.equal(verdict.action, `do the ${state} thing`);
    }
  });

  it('registry secret: unreachable warns; an error fails only when no secret was ever good', () => {
    const lastError = { code: 'HARBOR_UNREACHABLE' as const, message: 'Harbor at x is unreachable' };
    assert.equal(judgeSecret(secret({ state: 'unreachable', lastError }), '/log').status, 'warn');
    assert.equal(judgeSecret(secret({ state: 'error', lastError }), '/log').status, 'warn');
    const none = judgeSecret(secret({ state: 'error', username: null, lastError }), '/agent.log');
    assert.equal(none.status, 'fail');
    assert.match(none.action ?? '', /\/agent\.log/);
  });
});

describe('store', () => {
  it('unusable: fail; memory chosen by auto: warn; locked keychain: warn; chosen stores: ok', () => {
    assert.equal(
      judgeStore({ kind: 'keychain', reason: 'unusable: EIDF_STORE=keychain but keychain unavailable: no D-Bus' })
        .status,
      'fail',
    );
    const auto = judgeStore({ kind: 'memory', reason: 'no usable keychain: no Secret Service' });
    assert.equal(auto.status, 'warn');
    assert.match(auto.message, /secrets are lost when the agent stops/);
    assert.equal(
      judgeStore({
        kind: 'keychain',
        reason: 'EIDF_STORE=auto and the OS keychain answers, but it was locked at start',
      }).status,
      'warn',
    );
    assert.equal(
      judgeStore({ kind: 'memory', reason: 'chosen by EIDF_STORE=memory; secrets last until the agent stops' }).status,
      'ok',
    );
    assert.equal(judgeStore({ kind: 'keychain', reason: 'EIDF_STORE=auto and the OS keychain answers' }).status, 'ok');
    assert.equal(
      judgeStore({ kind: 'file', reason: 'no usable keychain: no Secret Service; secrets in /h/secrets.json (0600)' })
        .status,
      'ok',
    );
  });
});

describe('auth files', () => {
  const docker = { kind: 'docker' as const, path: '/h/.docker/config.json', source: 'HOME' };
  const containers = {
    kind: 'containers' as const,
    path: '/run/user/1/containers/auth.json',
    source: 'XDG_RUNTIME_DIR',
  };
  const wired = { credHelpers: { [HOST]: 'eidf' } };

  it('wired: ok; missing or another helper: warn with setup', () => {
    assert.equal(judgeAuthFile('docker-config', docker, wired, HOST, false).status, 'ok');
    const missing = judgeAuthFile('docker-config', docker, null, HOST, false);
    assert.equal(missing.status, 'warn');
    assert.equal(missing.action, 'run: docker-credential-eidf setup');
    const other = judgeAuthFile('docker-config', docker, { credHelpers: { [HOST]: 'pass' } }, HOST, false);
    assert.equal(other.status, 'warn');
    assert.match(other.message, /sends registry\.example\.org to credHelper "pass"/);
  });

  it('a plaintext secret for the registry warns without showing it; an empty auths entry does not', () => {
    const auth = Buffer.from('alice:s3cret-Value').toString('base64');
    const verdict = judgeAuthFile(
      'docker-config',
      docker,
      { ...wired, auths: { [`https://${HOST}`]: { auth } } },
      HOST,
      false,
    );
    assert.equal(verdict.status, 'warn');
    assert.ok(!verdict.message.includes(auth) && !verdict.message.includes('s3cret'));
    assert.equal(judgeAuthFile('docker-config', docker, { ...wired, auths: { [HOST]: {} } }, HOST, false).status, 'ok');
  });

  it('credsStore of another helper: an informational warn without an action when wired', () => {
    const verdict = judgeAuthFile('docker-config', docker, { ...wired, credsStore: 'desktop' }, HOST, false);
    assert.equal(verdict.status, 'warn');
    assert.equal(verdict.action, null);
    assert.equal(
      judgeAuthFile('docker-config', docker, { credsStore: 'desktop' }, HOST, false).action,
      'run: docker-credential-eidf setup',
    );
  });

  it('credsStore "eidf" wires Docker for the registry (setup --creds-store), unless credHelpers sends it elsewhere', () => {
    const viaStore = judgeAuthFile('docker-config', docker, { credsStore: 'eidf', auths: {} }, HOST, false);
    assert.equal(viaStore.status, 'ok');
    assert.match(viaStore.message, /credsStore = "eidf"/);
    const overridden = judgeAuthFile(
      'docker-config',
      docker,
      { credsStore: 'eidf', credHelpers: { [HOST]: 'pass' } },
      HOST,
      false,
    );
    assert.equal(overridden.status, 'warn');
    assert.match(overridden.message, /sends registry\.example\.org to credHelper "pass"|sends .* to credHelper "pass"/);
    // podman, skopeo and buildah do not read credsStore.
    assert.equal(judgeAuthFile('containers-auth', containers, { credsStore: 'eidf' }, HOST, false).status, 'warn');
  });

  it('the containers file may lean on a wired Docker config, except with REGISTRY_AUTH_FILE', () => {
    assert.equal(judgeAuthFile('containers-auth', containers, null, HOST, true).status, 'ok');
    assert.equal(judgeAuthFile('containers-auth', containers, {}, HOST, true).status, 'ok');
    assert.equal(judgeAuthFile('containers-auth', containers, null, HOST, false).status, 'warn');
    const only = { ...containers, source: 'REGISTRY_AUTH_FILE' };
    assert.equal(judgeAuthFile('containers-auth', only, {}, HOST, true).status, 'warn');
  });

  it('a malformed entry throws CONFIG_INVALID naming the file (the caller makes it a fail)', () => {
    assert.throws(
      () => judgeAuthFile('docker-config', docker, { credHelpers: [] }, HOST, false),
      (err: EidfError) => err.code === 'CONFIG_INVALID' && err.message.startsWith(docker.path),
    );
  });
});

describe('this program and the report', () => {
  it('the launcher next to src/cli/main.ts, or the single executable itself', () => {
    assert.equal(
      thisProgram(['/opt/eidf/node_modules/node/bin/node', '--flag', '/opt/eidf/src/cli/main.ts']),
      '/opt/eidf/bin/docker-credential-eidf',
    );
    assert.equal(
      thisProgram(['/opt/eidf/node_modules/node/bin/node', '--flag', '/opt/eidf/dist/docker-credential-eidf.cjs']),
      '/opt/eidf/bin/docker-credential-eidf',
    );
    assert.equal(thisProgram(['/usr/local/bin/docker-credential-eidf']), '/usr/local/bin/docker-credential-eidf');
    assert.equal(thisProgram(['/usr/bin/node', '/elsewhere/app.js']), null);
  });

  it('the path check: the launcher or the bundled script it runs is this program, another copy is not', async () => {
    const root = mkdtempSync(join(tmpdir(), 'eidf-doctor-path-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    const executable = (path: string) => {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, '#!/bin/sh\n');
      chmodSync(path, 0o755);
    };
    const checkout = join(root, 'checkout');
    executable(join(checkout, 'bin/docker-credential-eidf'));
    executable(join(checkout, 'dist/docker-credential-eidf.cjs'));
    executable(join(root, 'other/docker-credential-eidf'));
    mkdirSync(join(root, 'linked'));
    symlinkSync(join(checkout, 'dist/docker-credential-eidf.cjs'), join(root, 'linked/docker-credential-eidf'));
    // Run from the bundle, as bin/ does once built.
    const program = thisProgram(['node', join(checkout, 'dist/docker-credential-eidf.cjs')]);
    const onPath = async (dir: string) => pathCheck({ PATH: join(root, dir) }, 'linux', program);

    assert.equal((await onPath('checkout/bin')).status, 'ok');
    assert.equal((await onPath('linked')).status, 'ok', 'install.sh --script links the bundled script');
    const other = await onPath('other');
    assert.equal(other.status, 'warn');
    assert.match(other.message, /which is not this program/);
    const none = await onPath('nowhere');
    assert.equal(none.status, 'warn');
    assert.match(none.action ?? '', new RegExp(`add ${join(checkout, 'bin')} to PATH`));
  });

  it('people see one line per check, a to-do line under warnings and failures, and a count', () => {
    const text = formatChecks([
      check('config', 'ok', 'fine', 'ignored'),
      check('registry-secret', 'fail', 'dead', 'log in'),
      check('path', 'warn', 'missing', null),
    ]);
    assert.equal(
      text,
      [
        'ok   config           fine',
        'fail registry-secret  dead',
        '                      to do: log in',
        'warn path             missing',
        '1 failure, 1 warning',
        '',
      ].join('\n'),
    );
    assert.equal(
      formatChecks([check('config', 'ok', 'fine')])
        .split('\n')
        .at(-2),
      'all checks passed',
    );
  });
});
