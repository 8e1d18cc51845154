import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EidfError } from '../../src/core/errors.ts';
import { registryKey } from '../../src/core/registry-url.ts';

/**
 * registryKey against docker/cli (commit 28f7560, 2026-08-20): `ConvertToHostname` in
 * cli/config/credentials/file_store.go (Go `url.Parse` when the input has `://`, its
 * `hostFromURLFallback` when that fails, else the text before the first `/`), then
 * `getAuthConfigKey` in cli/config/configfile/file.go (only `docker.io` and `index.docker.io` map to
 * Hub's legacy key). Each row is what docker's own code answers; the "why" names the Go rule.
 */
const DOCKER_KEYS: Array<[input: string, key: string, why: string]> = [
  ['reg.example:5000', 'reg.example:5000', 'no scheme: up to the first /'],
  ['https://reg.example:5000/v2/', 'reg.example:5000', 'url.Parse: Hostname():Port()'],
  ['http://reg.example:5000/', 'reg.example:5000', 'url.Parse'],
  ['https://user@reg.example:5000/path?q=1', 'reg.example:5000', 'url.Parse drops userinfo, path and query'],
  ['https://reg.example:/', 'reg.example', 'url.Parse: empty port'],
  ['reg.example', 'reg.example', 'another key than reg.example:5000'],
  ['REG.example:5000', 'REG.example:5000', 'no lower-casing'],
  ['HTTPS://REG.example/', 'REG.example', 'Go takes the scheme case-blind, the host as written'],
  ['ｒｅｇｉｓｔｒｙ.example', 'ｒｅｇｉｓｔｒｙ.example', 'no Unicode folding (WHATWG: registry.example)'],
  ['https://ｒｅｇｉｓｔｒｙ.example/v2/', 'ｒｅｇｉｓｔｒｙ.example', 'url.Parse keeps non-ASCII host bytes'],
  ['a\u200bb.example', 'a\u200bb.example', 'no zero-width removal (WHATWG: ab.example)'],
  ['https://a\u200bb.example', 'a\u200bb.example', 'url.Parse keeps it'],
  ['http://0x7f.1', '0x7f.1', 'no IPv4 number parsing (WHATWG: 127.0.0.1)'],
  ['http://127.1:5000', '127.1:5000', 'no IPv4 number parsing (WHATWG: 127.0.0.1:5000)'],
  ['%41.example', '%41.example', 'no scheme: no decoding (WHATWG: a.example)'],
  ['https://%41.example/', '%41.example', 'url.Parse refuses %41 in a host; the fallback keeps the text'],
  ['https://%C3%A9.example/', 'é.example', 'url.Parse decodes escapes of non-ASCII bytes in a host'],
  ['https://[::1]:5000/v2/', '[::1]:5000', 'url.Parse, then net.JoinHostPort'],
  ['https://[::1]/', '::1', 'Hostname() strips the brackets; no port: returned bare'],
  ['https://::1:5000/', '[::1]:5000', 'hostFromURLFallback: unbracketed IPv6 with a port'],
  ['user:pass@reg.example', 'user:pass@reg.example', 'no scheme: up to the first /, userinfo and all'],
  ['docker.io', 'https://index.docker.io/v1/', 'getAuthConfigKey'],
  ['index.docker.io', 'https://index.docker.io/v1/', 'getAuthConfigKey'],
  ['https://index.docker.io/v1/', 'https://index.docker.io/v1/', 'ConvertToHostname, then getAuthConfigKey'],
  ['registry-1.docker.io', 'registry-1.docker.io', 'getAuthConfigKey maps only docker.io and index.docker.io'],
];

describe('registryKey keys registries as docker/cli does', () => {
  for (const [input, key, why] of DOCKER_KEYS) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(key)} (${why})`, () => assert.equal(registryKey(input), key));
  }

  it('names WHATWG URL parsing would fold together stay apart', () => {
    const keys = [
      'registry.example',
      'ｒｅｇｉｓｔｒｙ.example',
      'r\u200begistry.example',
      '%72egistry.example',
      'REGISTRY.example',
    ].map(registryKey);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(new Set(['127.0.0.1', '0x7f.1', '127.1', '2130706433'].map(registryKey)).size, 4);
  });

  for (const bad of [
    '',
    '   ',
    'reg example',
    ' reg.example',
    'reg.example\n',
    'https://reg example/',
    'a\\b.example',
    'https:///v2/',
    '/v2/',
  ]) {
    it(`refuses ${JSON.stringify(bad)}: no registry has that name`, () =>
      assert.throws(() => registryKey(bad), EidfError));
  }
});
