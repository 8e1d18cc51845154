/**
 * No Secret Service: a private session bus with nothing owning org.freedesktop.secrets and no
 * service activation. The keychain is STORE_UNAVAILABLE (not "not found", and not a silent fallback
 * to the kernel keyring); openStore falls back to memory only under EIDF_STORE=auto, with a warning.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EidfError } from '../../src/core/errors.ts';
import { KeychainStore } from '../../src/store/keychain.ts';
import { openStore } from '../../src/store/open-store.ts';
import { applyEnv, startPrivateBus, type PrivateBus } from '../helpers/keyring.ts';
import { storeTestConfig } from '../helpers/store-config.ts';


let bus: PrivateBus;
let restoreEnv: () => void;
let home: string;
const store = new KeychainStore({ timeoutMs: 3000 });

before(async () => {
  bus = await startPrivateBus();
  restoreEnv = applyEnv(bus.env);
  home = await mkdtemp(join(tmpdir(), 'eidf-store-missing-'));
});

after(async () => {
  await store.close();
  restoreEnv?.();
  await bus?.stop();
  await rm(home, { recursive: true, force: true });
});

const unavailable = (err: unknown) => {
  assert.ok(err instanceof EidfError);
  assert.equal(err.code, 'STORE_UNAVAILABLE');
  assert.match(err.message, /org\.freedesktop\.secrets/);
  assert.ok(!err.message.includes('\n'));
  return true;
};

test('every keychain call says STORE_UNAVAILABLE when there is no Secret Service', async () => {
  await assert.rejects(store.get('registry:x.example'), unavailable);
  await assert.rejects(store.set('registry:x.example', 'secret-value'), (err: Error) => unavailable(err) && !err.message.includes('secret-value'));
  await assert.rejects(store.delete('registry:x.example'), unavailable);
  await assert.rejects(store.keys(), unavailable);
  await assert.rejects(store.check(), unavailable);
});

test('EIDF_STORE=auto falls back to memory with one warning line saying how to choose', async () => {
  const warnings: string[] = [];
  const choice = await openStore(storeTestConfig(home, 'auto'), { warn: (line) => warnings.push(line) });
  assert.equal(choice.kind, 'memory');
  assert.equal(choice.store.kind, 'memory');
  assert.match(choice.reason, /^no usable keychain: /);
  assert.equal(warnings.length, 1);
  assert.ok(!warnings[0]!.includes('\n'));
  assert.match(warnings[0]!, /secrets are kept in agent memory only, set EIDF_STORE=file/);
  await choice.store.set('k', 'v');
  assert.equal(await choice.store.get('k'), 'v');
});

test('EIDF_STORE=keychain is an error, not a fallback', async () => {
  const warnings: string[] = [];
  await assert.rejects(openStore(storeTestConfig(home, 'keychain'), { warn: (line) => warnings.push(line) }),
    (err) => unavailable(err) && /^EIDF_STORE=keychain but keychain unavailable/.test((err as Error).message));
  assert.deepEqual(warnings, []);
});
