/** No D-Bus at all: the session bus address names a socket that does not exist. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KeychainStore } from '../../src/store/keychain.ts';
import { openStore } from '../../src/store/open-store.ts';
import { applyEnv } from '../helpers/keyring.ts';
import { storeTestConfig } from '../helpers/store-config.ts';
import { eidfError } from '../helpers/errors.ts';

let dir: string;
let restoreEnv: () => void;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eidf-store-nobus-'));
  restoreEnv = applyEnv({
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}`,
    XDG_RUNTIME_DIR: dir,
    HOME: dir,
  });
});

after(async () => {
  restoreEnv?.();
  await rm(dir, { recursive: true, force: true });
});

test('without a session bus the keychain is STORE_UNAVAILABLE and auto falls back to the file store', async () => {
  const store = new KeychainStore({ timeoutMs: 3000 });
  try {
    await assert.rejects(store.get('registry:x.example'), eidfError('STORE_UNAVAILABLE', /no-such-bus/));
  } finally {
    await store.close();
  }
  const warnings: string[] = [];
  const choice = await openStore(storeTestConfig(join(dir, 'eidf'), 'auto'), { warn: (line) => warnings.push(line) });
  assert.equal(choice.kind, 'file');
  assert.equal(choice.path, join(dir, 'eidf', 'secrets.json'));
  assert.equal(warnings.length, 1);
});
