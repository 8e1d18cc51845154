/**
 * No Secret Service: a private session bus with nothing owning org.freedesktop.secrets and no
 * service activation. The keychain is STORE_UNAVAILABLE (not "not found", and not a silent fallback
 * to the kernel keyring); openStore falls back to memory only under EIDF_STORE=auto, with a warning.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KeychainStore } from '../../src/store/keychain.ts';
import { openStore } from '../../src/store/open-store.ts';
import { applyEnv, startPrivateBus, type PrivateBus } from '../helpers/keyring.ts';
import { storeTestConfig } from '../helpers/store-config.ts';
import { eidfError } from '../helpers/errors.ts';

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

const unavailable = eidfError('STORE_UNAVAILABLE', /org\.freedesktop\.secrets/);

test('every keychain call says STORE_UNAVAILABLE when there is no Secret Service', async () => {
  await assert.rejects(store.get('registry:x.example'), unavailable);
  await assert.rejects(
    store.set('registry:x.example', 'secret-value'),
    (err: Error) => unavailable(err) && !err.message.includes('secret-value'),
  );
  await assert.rejects(store.delete('registry:x.example'), unavailable);
  await assert.rejects(store.keys(), unavailable);
  await assert.rejects(store.check(), unavailable);
});

test('EIDF_STORE=auto falls back to the 0600 file store with one warning line naming the file', async () => {
  const warnings: string[] = [];
  const config = storeTestConfig(home, 'auto');
  const choice = await openStore(config, { warn: (line) => warnings.push(line) });
  assert.equal(choice.kind, 'file');
  assert.equal(choice.store.kind, 'file');
  assert.equal(choice.path, config.paths.fileStore);
  assert.match(choice.reason, /^no usable keychain: (?!keychain unavailable).+; secrets in \S+secrets\.json \(0600\)$/);
  assert.equal(warnings.length, 1);
  assert.ok(!warnings[0].includes('\n'));
  assert.ok(
    warnings[0].includes(
      `secrets are kept in ${config.paths.fileStore} (0600); EIDF_STORE=memory keeps nothing on disk`,
    ),
    warnings[0],
  );
  await choice.store.set('k', 'v');
  assert.equal(await choice.store.get('k'), 'v');
  assert.equal(statSync(config.paths.fileStore).mode & 0o777, 0o600);
  // A second agent (after a restart) finds it there.
  const again = await openStore(config, { warn: () => undefined });
  assert.equal(await again.store.get('k'), 'v');
});

test('EIDF_STORE=keychain is an error, not a fallback', async () => {
  const warnings: string[] = [];
  await assert.rejects(
    openStore(storeTestConfig(home, 'keychain'), { warn: (line) => warnings.push(line) }),
    (err) => unavailable(err) && /^EIDF_STORE=keychain but keychain unavailable/.test((err as Error).message),
  );
  assert.deepEqual(warnings, []);
});
