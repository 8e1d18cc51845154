import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, SETTINGS, suggestKey, type Config } from '../../src/config.ts';
import { EidfError } from '../../src/core/errors.ts';

const load = (env: Record<string, string>, file?: string) =>
  loadConfig({ EIDF_HOME: '/tmp/e', ...env }, 1000, () => file);
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EidfError && err.code === 'CONFIG_INVALID', String(err));
    return err.message;
  }
  assert.fail('expected CONFIG_INVALID');
};

describe('the settings table', () => {
  it('has the defaults loadConfig applies', () => {
    const config = load({});
    for (const setting of SETTINGS) {
      const value = config[setting.key as keyof Config];
      const shown = value === undefined ? undefined : typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
      assert.equal(shown, setting.default, setting.key);
    }
  });

  it('every key is read from config.json, and the environment wins over it', () => {
    const values: Record<string, string | number | boolean> = {
      registry: 'reg.example',
      store: 'file',
      oidcIssuer: 'https://idp.example',
      oidcClientId: 'cli',
      oidcScopes: 'openid offline_access',
      allowInsecureLoopback: true,
      loginOnGet: 'never',
      keepAliveSeconds: 60,
      keychainTimeoutMs: 500,
      agentIdleSeconds: 30,
      noBrowser: true,
      debug: true,
    };
    assert.deepEqual(Object.keys(values).sort(), SETTINGS.map((s) => s.key).sort());
    const config = load({}, JSON.stringify(values));
    for (const [key, value] of Object.entries(values)) assert.equal(config[key as keyof Config], value, key);
    assert.equal(load({ EIDF_STORE: 'memory' }, JSON.stringify(values)).store, 'memory');
  });

  it('a bad value in config.json gets the same one-line message as in the environment', () => {
    for (const [key, value] of [
      ['store', 'fil'],
      ['keepAliveSeconds', '0'],
      ['oidcScopes', 'openid'],
      ['allowInsecureLoopback', 'maybe'],
    ] as const) {
      const variable = SETTINGS.find((s) => s.key === key)!.variable;
      assert.equal(
        messageOf(() => load({}, JSON.stringify({ [key]: value }))),
        messageOf(() => load({ [variable]: value })),
      );
    }
  });
});

describe('unknown keys in config.json', () => {
  it('stop every command with one line, suggesting the key meant', () => {
    const cases: [string, string][] = [
      ['oidcIsuer', ' (did you mean "oidcIssuer"?)'],
      ['EIDF_OIDC_ISSUER', ' (did you mean "oidcIssuer"?)'],
      ['Store', ' (did you mean "store"?)'],
      ['keepalive', ' (did you mean "keepAliveSeconds"?)'],
      ['agentIdleSecond', ' (did you mean "agentIdleSeconds"?)'],
      ['colour', ' (docker-credential-eidf config list shows the settings)'],
    ];
    for (const [key, hint] of cases) {
      assert.equal(
        messageOf(() => load({}, JSON.stringify({ store: 'file', [key]: 'x' }))),
        `invalid configuration: /tmp/e/config.json: unknown key ${JSON.stringify(key)}${hint}`,
      );
    }
  });

  it('are ignored only when asked (config set/unset edit such files)', () => {
    assert.equal(
      loadConfig({ EIDF_HOME: '/tmp/e' }, 1000, () => '{"colour":"red","store":"file"}', { unknownKeys: 'ignore' })
        .store,
      'file',
    );
  });

  it('suggestKey leaves far-off names alone', () => {
    assert.equal(suggestKey('proxy'), undefined);
    assert.equal(suggestKey('registy'), 'registry');
  });
});
