import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { agentSettings, describeSettings, proxyFor, settingsFingerprint } from '../../src/agent/settings.ts';
import { callerIdentity, parseCallerIdentity } from '../../src/agent/api.ts';

const config = (env: Record<string, string> = {}) => loadConfig({ EIDF_HOME: '/tmp/e', ...env }, 1000, () => undefined);

describe('agent settings and their fingerprint', () => {
  it('the same settings give the same fingerprint; any agent setting or proxy variable changes it', () => {
    const base = settingsFingerprint(agentSettings(config(), {}));
    assert.match(base, /^[0-9a-f]{16}$/);
    assert.equal(
      settingsFingerprint(agentSettings(config(), { PATH: '/x', TERM: 'xterm' })),
      base,
      'unrelated variables do not count',
    );
    assert.equal(
      settingsFingerprint(agentSettings(config({ EIDF_LOGIN_ON_GET: 'never' }), {})),
      base,
      'a helper-only setting does not count',
    );
    const changed = [
      agentSettings(config({ EIDF_OIDC_ISSUER: 'https://idp.example' }), {}),
      agentSettings(config({ EIDF_KEEPALIVE_SECONDS: '60' }), {}),
      agentSettings(config({ EIDF_STORE: 'file' }), {}),
      agentSettings(config(), { HTTPS_PROXY: 'http://proxy:3128' }),
      agentSettings(config(), { no_proxy: 'example.org' }),
    ].map(settingsFingerprint);
    assert.equal(new Set([base, ...changed]).size, changed.length + 1);
  });

  it('describeSettings drops a proxy password', () => {
    const shown = describeSettings(
      agentSettings(config(), { https_proxy: 'http://me:s3cret@proxy.example:3128', NO_PROXY: 'a.example' }),
    );
    assert.equal(shown.https_proxy, 'http://proxy.example:3128');
    assert.equal(shown.NO_PROXY, 'a.example');
    assert.ok(!JSON.stringify(shown).includes('s3cret'));
  });

  it('the header carries the settings for people commands only', () => {
    assert.deepEqual(parseCallerIdentity(callerIdentity('0.1.0')), { version: '0.1.0', settings: undefined });
    assert.deepEqual(parseCallerIdentity(callerIdentity('0.1.0', 'abc')), { version: '0.1.0', settings: 'abc' });
  });
});

describe('proxyFor', () => {
  const p = 'http://proxy:3128';
  it('lower case first; HTTP_PROXY serves https:// when no HTTPS_PROXY is set; HTTPS_PROXY never serves http://', () => {
    assert.deepEqual(proxyFor('https://r.example', { HTTP_PROXY: p }), { proxy: p, variable: 'HTTP_PROXY' });
    assert.deepEqual(proxyFor('https://r.example', { HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2' }), {
      proxy: 'http://b:2',
      variable: 'https_proxy',
    });
    assert.equal(proxyFor('http://127.0.0.1:5000', { HTTPS_PROXY: p }), null);
    assert.equal(proxyFor('https://r.example', {}), null);
  });
  it('NO_PROXY: exact hosts, domain suffixes, ports, *', () => {
    for (const noProxy of ['r.example', '.example', 'example', '*.example', 'x.org, r.example', 'r.example:443', '*']) {
      assert.equal(proxyFor('https://r.example', { HTTPS_PROXY: p, NO_PROXY: noProxy }), 'NO_PROXY', noProxy);
    }
    for (const noProxy of ['other.example', 'r.example:80', 'ample']) {
      assert.deepEqual(
        proxyFor('https://r.example', { HTTPS_PROXY: p, NO_PROXY: noProxy }),
        { proxy: p, variable: 'HTTPS_PROXY' },
        noProxy,
      );
    }
  });
});
