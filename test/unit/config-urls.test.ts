import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { eidfError } from '../helpers/errors.ts';

const noFile = () => undefined;
const load = (env: Record<string, string>) =>
  loadConfig({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000', ...env }, 1000, noFile);

/** Refused with CONFIG_INVALID, in one line that names the setting and never repeats the value. */
function refused(env: Record<string, string>, setting: string, problem: RegExp): void {
  assert.throws(
    () => load(env),
    (err: unknown) =>
      eidfError('CONFIG_INVALID', new RegExp(`^invalid configuration: ${setting} `), ['s3cret'])(err) &&
      eidfError('CONFIG_INVALID', problem)(err),
  );
}

describe('issuer and registry URLs: user info and stray spaces are refused', () => {
  it('EIDF_OIDC_ISSUER with user:pass@', () => {
    refused(
      { EIDF_OIDC_ISSUER: 'https://alice:s3cret@idp.example/realms/safe' },
      'EIDF_OIDC_ISSUER',
      /must not contain a user name or password/,
    );
    refused(
      { EIDF_OIDC_ISSUER: 'https://s3cret@idp.example' },
      'EIDF_OIDC_ISSUER',
      /must not contain a user name or password/,
    );
  });

  it('EIDF_REGISTRY with user:pass@, with or without a scheme', () => {
    refused(
      { EIDF_REGISTRY: 'https://alice:s3cret@registry.example' },
      'EIDF_REGISTRY',
      /must not contain a user name or password/,
    );
    refused(
      { EIDF_REGISTRY: 'alice:s3cret@registry.example' },
      'EIDF_REGISTRY',
      /must not contain a user name or password/,
    );
  });

  for (const [name, value] of [
    ['EIDF_OIDC_ISSUER', ' https://idp.example'],
    ['EIDF_OIDC_ISSUER', 'https://idp.example\n'],
    ['EIDF_REGISTRY', 'registry.example '],
    ['EIDF_REGISTRY', '\tregistry.example'],
  ] as const) {
    it(`${name}=${JSON.stringify(value)}`, () =>
      refused({ [name]: value }, name, /has spaces or line breaks around it/));
  }

  it('EIDF_REGISTRY must be a plain host[:port] as Docker keys it: no folded look-alikes', () => {
    for (const value of [
      'ｒｅｇｉｓｔｒｙ.example',
      'a\u200bb.example',
      '%41.example',
      'https://%41.example',
      'docker.io',
    ]) {
      refused({ EIDF_REGISTRY: value }, 'EIDF_REGISTRY', /must be a registry host/);
    }
    assert.deepEqual(
      (({ registry, registryUrl }) => ({ registry, registryUrl }))(
        load({ EIDF_REGISTRY: 'https://Registry.Example:8443/v2/' }),
      ),
      { registry: 'Registry.Example:8443', registryUrl: 'https://Registry.Example:8443' },
    );
  });

  it('a clean issuer is kept as given', () => {
    assert.equal(
      load({ EIDF_OIDC_ISSUER: 'https://idp.example/realms/safe' }).oidcIssuer,
      'https://idp.example/realms/safe',
    );
  });
});
