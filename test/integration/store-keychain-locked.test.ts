/**
 * A locked gnome-keyring (on a private D-Bus) must answer STORE_LOCKED on every call — including
 * `get` of a key it does not hold, which the addon alone answers with null — and never "not found".
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KeychainStore } from '../../src/store/keychain.ts';
import { openStore } from '../../src/store/open-store.ts';
import { applyEnv, startPrivateKeyring, type PrivateKeyring } from '../helpers/keyring.ts';
import { storeTestConfig } from '../helpers/store-config.ts';
import { eidfError } from '../helpers/errors.ts';

let keyring: PrivateKeyring;
let restoreEnv: () => void;
let home: string;
const stores: KeychainStore[] = [];

before(async () => {
  keyring = await startPrivateKeyring();
  restoreEnv = applyEnv(keyring.env);
  home = await mkdtemp(join(tmpdir(), 'eidf-store-locked-'));
  // Given an item stored while the keyring was unlocked, then the keyring locked.
  const seeding = new KeychainStore({ timeoutMs: 3000 });
  await seeding.set('registry:held.example', 'secret');
  await seeding.close();
  await keyring.lock();
});

after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  restoreEnv?.();
  await keyring?.stop();
  await rm(home, { recursive: true, force: true });
});

const locked = eidfError('STORE_LOCKED', /^keychain is locked; unlock it/);

test('every call on a locked keychain is STORE_LOCKED, never null or empty', async () => {
  const store = new KeychainStore({ timeoutMs: 3000 });
  stores.push(store);
  await assert.rejects(store.get('registry:held.example'), locked);
  await assert.rejects(store.get('registry:never-stored.example'), locked);
  await assert.rejects(store.keys(), locked);
  await assert.rejects(store.set('registry:new.example', 'v'), locked);
  await assert.rejects(store.delete('registry:held.example'), locked);
  await assert.rejects(store.delete('registry:never-stored.example'), locked);
  await assert.rejects(store.check(), locked);
});

test('openStore keeps a locked keychain (it may be unlocked later) and warns once', async () => {
  for (const mode of ['auto', 'keychain'] as const) {
    const warnings: string[] = [];
    const choice = await openStore(storeTestConfig(home, mode), { warn: (line) => warnings.push(line) });
    stores.push(choice.store as KeychainStore);
    assert.equal(choice.kind, 'keychain');
    assert.match(choice.reason, /locked at start/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /keychain is locked.*cannot be read or saved until then/);
    await assert.rejects(choice.store.get('registry:held.example'), locked);
  }
});
