import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open-store.ts';
import { storeTestConfig } from '../helpers/store-config.ts';
import { eidfError } from '../helpers/errors.ts';

const root = await mkdtemp(join(tmpdir(), 'eidf-openstore-'));
after(() => rm(root, { recursive: true, force: true }));

test('EIDF_STORE=memory opens a memory store and says why, without a warning', async () => {
  const warnings: string[] = [];
  const choice = await openStore(storeTestConfig(join(root, 'm'), 'memory'), { warn: (l) => warnings.push(l) });
  assert.equal(choice.kind, 'memory');
  assert.equal(choice.store.kind, 'memory');
  assert.match(choice.reason, /EIDF_STORE=memory/);
  assert.deepEqual(warnings, []);
});

test('EIDF_STORE=file opens the configured file store', async () => {
  const config = storeTestConfig(join(root, 'f'), 'file');
  const choice = await openStore(config, { warn: () => assert.fail('no warning expected') });
  assert.equal(choice.kind, 'file');
  assert.match(choice.reason, /EIDF_STORE=file/);
  await choice.store.set('k', 'v');
  assert.deepEqual(JSON.parse(await readFile(config.paths.fileStore, 'utf8')), { version: 1, secrets: { k: 'v' } });
});

test('EIDF_STORE=file with a corrupt file fails at open and leaves the file alone', async () => {
  const config = storeTestConfig(join(root, 'c'), 'file');
  await mkdir(dirname(config.paths.fileStore), { recursive: true, mode: 0o700 });
  await writeFile(config.paths.fileStore, 'not json', { mode: 0o600 });
  await assert.rejects(openStore(config, { warn: () => undefined }), eidfError('STORE_UNAVAILABLE', /not valid JSON/));
  assert.equal(await readFile(config.paths.fileStore, 'utf8'), 'not json');
});

// Reads the process's own memory map: Linux only.
test(
  'memory and file stores never load the keychain addon; the keychain store loads it on first use',
  { skip: !existsSync('/proc/self/maps') },
  async () => {
    const src = (p: string) => JSON.stringify(fileURLToPath(new URL(`../../src/store/${p}`, import.meta.url)));
    const script = `
    import { readFileSync } from 'node:fs';
    import { openStore } from ${src('open-store.ts')};
    import { KeychainStore } from ${src('keychain.ts')};
    const loaded = () => /keyring[^\\n]*\\.node/.test(readFileSync('/proc/self/maps', 'utf8'));
    const home = process.argv[1];
    const config = (store) => ({ store, keychainTimeoutMs: 3000, paths: { fileStore: home + '/secrets.json' } });
    for (const kind of ['memory', 'file']) {
      const { store } = await openStore(config(kind), { warn() {} });
      await store.set('k', 'v'); await store.get('k');
    }
    const before = loaded();
    const keychain = new KeychainStore({ timeoutMs: 3000 });
    await keychain.get('k').catch(() => undefined);
    const afterUse = loaded();
    await keychain.close();
    console.log(JSON.stringify({ before, afterUse }));
  `;
    const dir = join(root, 'lazy');
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(root, 'no-bus')}` };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script, dir], { env }, (err, out, errOut) =>
        err ? reject(new Error(String(errOut))) : resolve(String(out)),
      );
    });
    assert.deepEqual(JSON.parse(stdout), { before: false, afterUse: true });
  },
);
