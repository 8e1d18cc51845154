import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EidfError } from '../../src/core/errors.ts';
import { handle, type CredentialHelper, type Credentials, type ProtocolVerb } from '../../src/protocol/protocol.ts';

/** An in-memory backend recording what the protocol asked of it. */
function memoryHelper(initial: Record<string, { Username: string; Secret: string }> = {}) {
  const entries = new Map(Object.entries(initial));
  const calls: string[] = [];
  const helper: CredentialHelper = {
    add: async (registry: string, c: Credentials) => {
      calls.push(`add ${registry}`);
      entries.set(registry, { Username: c.Username, Secret: c.Secret });
    },
    get: async (registry) => {
      calls.push(`get ${registry}`);
      return entries.get(registry) ?? null;
    },
    delete: async (registry) => {
      calls.push(`delete ${registry}`);
      entries.delete(registry);
    },
    list: async () => Object.fromEntries([...entries].map(([k, v]) => [k, v.Username])),
  };
  return { helper, entries, calls };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const VERSION_LINE = 'docker-credential-eidf (docker-credential-eidf) 0.1.0';

describe('protocol: literal stdin → literal stdout', () => {
  const alice = { Username: 'alice', Secret: 's3cret' };
  const cases: Array<{
    name: string;
    verb: ProtocolVerb;
    stdin: string | Uint8Array;
    stdout: string;
    exit: 0 | 1;
    calls?: string[];
  }> = [
    {
      name: 'get of an unknown server',
      verb: 'get',
      stdin: 'registry.example',
      stdout: 'credentials not found in native keychain\n',
      exit: 1,
    },
    {
      name: 'get answers ServerURL as given, newline-terminated',
      verb: 'get',
      stdin: 'https://reg.example:5000/v2/',
      stdout: '{"ServerURL":"https://reg.example:5000/v2/","Username":"alice","Secret":"s3cret"}\n',
      exit: 0,
      calls: ['get reg.example:5000'],
    },
    {
      name: 'get trims whitespace',
      verb: 'get',
      stdin: '  reg.example:5000\n',
      stdout: '{"ServerURL":"reg.example:5000","Username":"alice","Secret":"s3cret"}\n',
      exit: 0,
    },
    {
      name: 'http:// and trailing slash name the same entry',
      verb: 'get',
      stdin: 'http://reg.example:5000/',
      stdout: '{"ServerURL":"http://reg.example:5000/","Username":"alice","Secret":"s3cret"}\n',
      exit: 0,
      calls: ['get reg.example:5000'],
    },
    {
      name: 'a host without the port is another entry',
      verb: 'get',
      stdin: 'reg.example',
      stdout: 'credentials not found in native keychain\n',
      exit: 1,
      calls: ['get reg.example'],
    },
    { name: 'empty stdin on get', verb: 'get', stdin: '', stdout: 'no credentials server URL\n', exit: 1, calls: [] },
    {
      name: 'store',
      verb: 'store',
      stdin: '{"ServerURL":"https://reg.example:5000","Username":"bob","Secret":"pw"}',
      stdout: '',
      exit: 0,
      calls: ['add reg.example:5000'],
    },
    {
      name: 'store of pretty-printed JSON',
      verb: 'store',
      stdin: '{\n  "ServerURL": "reg.other",\n  "Username": "bob",\n  "Secret": "pw"\n}\n',
      stdout: '',
      exit: 0,
      calls: ['add reg.other'],
    },
    {
      name: 'store without ServerURL',
      verb: 'store',
      stdin: '{"Username":"bob","Secret":"pw"}',
      stdout: 'no credentials server URL\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'store without Username',
      verb: 'store',
      stdin: '{"ServerURL":"reg.example","Secret":"pw"}',
      stdout: 'no credentials username\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'store of truncated JSON',
      verb: 'store',
      stdin: '{"ServerURL":"reg.example","Userna',
      stdout: 'credentials on stdin are not valid JSON\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'store of a JSON array',
      verb: 'store',
      stdin: '[1,2]',
      stdout: 'credentials on stdin must be a JSON object\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'store of empty stdin',
      verb: 'store',
      stdin: '',
      stdout: 'no credentials on stdin: expected {"ServerURL","Username","Secret"}\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'store of invalid UTF-8',
      verb: 'store',
      stdin: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      stdout: 'input is not valid UTF-8\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'store of 1 MiB',
      verb: 'store',
      stdin: new Uint8Array(1024 * 1024).fill(0x20),
      stdout: 'input too large: more than 65536 bytes on stdin\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'store of a server URL with a space',
      verb: 'store',
      stdin: '{"ServerURL":"reg example","Username":"bob","Secret":"pw"}',
      stdout: 'invalid server URL\n',
      exit: 1,
      calls: [],
    },
    {
      name: 'erase of a missing entry succeeds',
      verb: 'erase',
      stdin: 'https://nothing.example',
      stdout: '',
      exit: 0,
      calls: ['delete nothing.example'],
    },
    { name: 'list', verb: 'list', stdin: '', stdout: '{"reg.example:5000":"alice"}\n', exit: 0 },
    { name: 'version', verb: 'version', stdin: '', stdout: `${VERSION_LINE}\n`, exit: 0 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { helper, calls } = memoryHelper({ 'reg.example:5000': alice });
      const result = await handle(helper, c.verb, typeof c.stdin === 'string' ? bytes(c.stdin) : c.stdin, VERSION_LINE);
      assert.equal(result.stdout, c.stdout);
      assert.equal(result.exitCode, c.exit);
      if (c.calls) assert.deepEqual(calls, c.calls);
    });
  }
});

describe('protocol: round trips', () => {
  it('stores and returns an identity token (<token>) as given, HTML-escaped like Go', async () => {
    const { helper } = memoryHelper();
    const stored = await handle(
      helper,
      'store',
      bytes('{"ServerURL":"reg.example","Username":"<token>","Secret":"a&b"}'),
      VERSION_LINE,
    );
    assert.equal(stored.exitCode, 0);
    const got = await handle(helper, 'get', bytes('reg.example'), VERSION_LINE);
    assert.equal(got.stdout, '{"ServerURL":"reg.example","Username":"\\u003ctoken\\u003e","Secret":"a\\u0026b"}\n');
    assert.deepEqual(JSON.parse(got.stdout), { ServerURL: 'reg.example', Username: '<token>', Secret: 'a&b' });
  });

  it('all four keys docker logout tries erase the one entry, each with exit 0', async () => {
    const { helper, entries } = memoryHelper({ 'reg.example:5000': { Username: 'a', Secret: 'b' } });
    for (const key of ['reg.example:5000', 'reg.example:5000', 'http://reg.example:5000', 'https://reg.example:5000']) {
      const result = await handle(helper, 'erase', bytes(key), VERSION_LINE);
      assert.deepEqual(result, { stdout: '', exitCode: 0 });
    }
    assert.equal(entries.size, 0);
  });

  it('a backend error becomes one line on stdout with exit 1, and a locked store is not "not found"', async () => {
    const { helper } = memoryHelper();
    helper.get = async () => {
      throw new EidfError('STORE_LOCKED', 'the keychain is locked; unlock it and try again\nsecond line');
    };
    const result = await handle(helper, 'get', bytes('reg.example'), VERSION_LINE);
    assert.deepEqual(result, { stdout: 'the keychain is locked; unlock it and try again\n', exitCode: 1 });
  });
});
