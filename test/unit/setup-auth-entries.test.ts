import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegistryCredential } from '../../src/core/ports.ts';
import { findPlaintextAuths, readHelper, removeAuths, writeHelper } from '../../src/setup/auth-entries.ts';
import { eidfError } from '../helpers/errors.ts';

const HOST = 'registry.example.org';
const FILE = '/home/u/.docker/config.json';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const found: Array<{
  name: string;
  config: Record<string, unknown>;
  keys: string[];
  credential: RegistryCredential | null;
}> = [
  { name: 'no auths', config: {}, keys: [], credential: null },
  {
    name: 'auth as base64 user:password',
    config: { auths: { [HOST]: { auth: b64('alice:pa:ss') } } },
    keys: [HOST],
    credential: { Username: 'alice', Secret: 'pa:ss' },
  },
  {
    name: 'username + password under https://host/v2/',
    config: { auths: { [`https://${HOST}/v2/`]: { username: 'bob', password: 'pw' } } },
    keys: [`https://${HOST}/v2/`],
    credential: { Username: 'bob', Secret: 'pw' },
  },
  {
    name: 'identitytoken wins and is moved as <token>',
    config: { auths: { [`http://${HOST}/`]: { auth: b64('carol:'), identitytoken: 'tok' } } },
    keys: [`http://${HOST}/`],
    credential: { Username: '<token>', Secret: 'tok' },
  },
  {
    name: 'the same secret under two spellings: both keys go',
    config: { auths: { [HOST]: { auth: b64('a:b') }, [`https://${HOST}`]: { username: 'a', password: 'b' } } },
    keys: [HOST, `https://${HOST}`],
    credential: { Username: 'a', Secret: 'b' },
  },
  {
    name: 'the empty entry docker login writes holds no secret',
    config: { auths: { [HOST]: {} } },
    keys: [],
    credential: null,
  },
  {
    name: 'auth with an empty password holds no secret',
    config: { auths: { [HOST]: { auth: b64('dave:') } } },
    keys: [],
    credential: null,
  },
  {
    name: 'other registries (and a port variant) are not ours',
    config: {
      auths: { 'other.io': { auth: b64('x:y') }, [`${HOST}:5000`]: { auth: b64('x:y') }, 'not a url at all': 1 },
    },
    keys: [],
    credential: null,
  },
];

for (const c of found) {
  test(`findPlaintextAuths: ${c.name}`, () => {
    assert.deepEqual(findPlaintextAuths(c.config, HOST, FILE), { keys: c.keys, credential: c.credential });
  });
}

const refused: Array<{ name: string; config: Record<string, unknown>; message: RegExp }> = [
  { name: 'auths not an object', config: { auths: [] }, message: /: auths must be a JSON object/ },
  {
    name: 'entry not an object',
    config: { auths: { [HOST]: 'x' } },
    message: /auths\["registry.example.org"\] must be a JSON object/,
  },
  { name: 'auth not base64', config: { auths: { [HOST]: { auth: 'not base64!' } } }, message: /\.auth is not base64/ },
  {
    name: 'auth without a colon',
    config: { auths: { [HOST]: { auth: b64('nocolon') } } },
    message: /\.auth is not base64/,
  },
  {
    name: 'password without username',
    config: { auths: { [HOST]: { password: 'S3CR3T' } } },
    message: /has a password but no username/,
  },
  {
    name: 'password not a string',
    config: { auths: { [HOST]: { username: 'u', password: 5 } } },
    message: /password must be a string/,
  },
  {
    name: 'two spellings with different secrets',
    config: { auths: { [HOST]: { auth: b64('a:S3CR3T-1') }, [`https://${HOST}`]: { auth: b64('a:S3CR3T-2') } } },
    message: /different credentials for registry.example.org/,
  },
];

for (const c of refused) {
  test(`findPlaintextAuths refuses: ${c.name}`, () => {
    assert.throws(
      () => findPlaintextAuths(c.config, HOST, FILE),
      (err: unknown) =>
        eidfError('CONFIG_INVALID', c.message, ['S3CR3T'])(err) &&
        eidfError('CONFIG_INVALID', /^\/home\/u\/\.docker\/config\.json: /)(err),
    );
  });
}

test('readHelper reads credHelpers[host] and refuses wrong shapes', () => {
  assert.equal(readHelper({}, HOST, FILE), null);
  assert.equal(readHelper({ credHelpers: { 'x.io': 'y' } }, HOST, FILE), null);
  assert.equal(readHelper({ credHelpers: { [HOST]: 'secretservice' } }, HOST, FILE), 'secretservice');
  assert.throws(() => readHelper({ credHelpers: 'eidf' }, HOST, FILE), /credHelpers must be a JSON object/);
  assert.throws(() => readHelper({ credHelpers: [] }, HOST, FILE), /credHelpers must be a JSON object/);
  assert.throws(
    () => readHelper({ credHelpers: { [HOST]: null } }, HOST, FILE),
    /credHelpers\["registry.example.org"\] must be a string/,
  );
});

test('writeHelper keeps key order, appends a new credHelpers, drops it only when asked', () => {
  const config: Record<string, unknown> = { a: 1, credHelpers: { 'x.io': 'y', [HOST]: 'old' }, z: 2 };
  writeHelper(config, HOST, 'eidf', false);
  assert.equal(JSON.stringify(config), '{"a":1,"credHelpers":{"x.io":"y","registry.example.org":"eidf"},"z":2}');
  const fresh: Record<string, unknown> = { a: 1 };
  writeHelper(fresh, HOST, 'eidf', false);
  assert.equal(JSON.stringify(fresh), '{"a":1,"credHelpers":{"registry.example.org":"eidf"}}');
  writeHelper(fresh, HOST, null, false);
  assert.equal(JSON.stringify(fresh), '{"a":1,"credHelpers":{}}');
  writeHelper(fresh, HOST, null, true);
  assert.equal(JSON.stringify(fresh), '{"a":1}');
});

test('removeAuths removes only the given keys and keeps an empty auths', () => {
  const config: Record<string, unknown> = { auths: { [HOST]: { auth: 'x' }, 'o.io': {} } };
  removeAuths(config, [HOST]);
  assert.equal(JSON.stringify(config), '{"auths":{"o.io":{}}}');
  removeAuths(config, ['o.io']);
  assert.equal(JSON.stringify(config), '{"auths":{}}');
});
