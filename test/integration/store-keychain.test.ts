/**
 * KeychainStore and openStore against a real gnome-keyring on a private D-Bus (unlocked), and the
 * same keyring made "slow" by SIGSTOPping its daemon. One keyring per file: the addon's libdbus
 * keeps the first session bus address a process uses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, mock, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { KEYCHAIN_SERVICE, KeychainStore } from '../../src/store/keychain.ts';
import { openStore } from '../../src/store/open-store.ts';
import { applyEnv, startPrivateKeyring, type PrivateKeyring } from '../helpers/keyring.ts';
import { storeTestConfig } from '../helpers/store-config.ts';
import { eidfError } from '../helpers/errors.ts';

let keyring: PrivateKeyring;
let restoreEnv: () => void;
let home: string;
const stores: KeychainStore[] = [];
const newStore = (timeoutMs = 3000) => {
  const store = new KeychainStore({ timeoutMs });
  stores.push(store);
  return store;
};

before(async () => {
  keyring = await startPrivateKeyring();
  restoreEnv = applyEnv(keyring.env);
  home = await mkdtemp(join(tmpdir(), 'eidf-store-kc-'));
});

after(async () => {
  keyring?.resume();
  await Promise.all(stores.map((s) => s.close()));
  restoreEnv?.();
  await keyring?.stop();
  await rm(home, { recursive: true, force: true });
});

/** Reads an entry with secret-tool, i.e. straight from the Secret Service, not through the addon. */
function secretToolLookup(account: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      'secret-tool',
      ['lookup', 'service', KEYCHAIN_SERVICE, 'username', account],
      { env: { ...process.env, ...keyring.env } },
      (err, stdout) => resolve(err ? null : String(stdout)),
    );
  });
}

test('secrets round-trip through the Secret Service (not the kernel keyring)', async () => {
  const store = newStore();
  assert.equal(store.kind, 'keychain');
  assert.equal(await store.get('registry:one.example'), null);
  const big = `{"u":"ünï\\"cødé","s":"${'x'.repeat(4000)}"}`;
  await store.set('registry:one.example', 'first');
  await store.set('registry:one.example', big);
  await store.set('oidc-refresh:client@https://idp.example', 'refresh-token');
  assert.equal(await store.get('registry:one.example'), big);
  assert.equal(await secretToolLookup('registry:one.example'), big);
  assert.deepEqual((await store.keys()).sort(), ['oidc-refresh:client@https://idp.example', 'registry:one.example']);
  assert.equal(await store.delete('registry:one.example'), true);
  assert.equal(await store.delete('registry:one.example'), false);
  assert.equal(await secretToolLookup('registry:one.example'), null);
  assert.deepEqual(await store.keys(), ['oidc-refresh:client@https://idp.example']);
  assert.equal(await store.delete('oidc-refresh:client@https://idp.example'), true);
  assert.deepEqual(await store.keys(), []);
});

test('openStore: auto picks the working keychain without a warning; explicit keychain too', async () => {
  for (const mode of ['auto', 'keychain'] as const) {
    const warnings: string[] = [];
    const choice = await openStore(storeTestConfig(home, mode), { warn: (line) => warnings.push(line) });
    stores.push(choice.store as KeychainStore);
    assert.equal(choice.kind, 'keychain');
    assert.equal(choice.store.kind, 'keychain');
    assert.match(choice.reason, mode === 'auto' ? /EIDF_STORE=auto/ : /EIDF_STORE=keychain/);
    assert.deepEqual(warnings, []);
  }
});

test('a keychain that does not answer gives STORE_TIMEOUT, then works again once it answers', async () => {
  // A first call also starts the worker and its D-Bus connection, which on a loaded machine can take
  // longer than 400 ms: it runs with the store's bound held (no time budget), and so does the recovery.
  await newStore(30_000).set('slow-key', 'v');
  const store = newStore(400);
  assert.equal(await withoutBound(() => store.get('slow-key')), 'v');
  keyring.pause();
  try {
    await assert.rejects(store.get('slow-key'), eidfError('STORE_TIMEOUT', /did not answer \(get\) within 400 ms/));
    await assert.rejects(store.set('slow-key', 'w'), eidfError('STORE_TIMEOUT', /within 400 ms/));
    // Two workers are now stuck inside D-Bus calls: the store stops starting more. (On a loaded
    // machine the second worker may time out while still starting, and then it is not stuck.)
    await assert.rejects(
      store.keys(),
      eidfError('STORE_TIMEOUT', /within 400 ms( \(earlier calls are still stuck\))?$/),
    );

    const warnings: string[] = [];
    await assert.rejects(
      openStore(storeTestConfig(home, 'keychain', 400), { warn: (l) => warnings.push(l) }),
      eidfError('STORE_TIMEOUT', /^EIDF_STORE=keychain but keychain did not answer/),
    );
    const fallback = await openStore(storeTestConfig(home, 'auto', 400), { warn: (l) => warnings.push(l) });
    assert.equal(fallback.kind, 'file');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /secrets are kept in \S+secrets\.json \(0600\); EIDF_STORE=memory keeps nothing on disk/);
  } finally {
    keyring.resume();
  }
  // The stuck workers finish once the daemon answers; a fresh one serves the next call (until then
  // calls fail at once: "earlier calls are still stuck").
  await waitUntil(async () => (await withoutBound(() => store.get('slow-key')).catch(() => undefined)) === 'v');
  assert.equal(await withoutBound(() => store.delete('slow-key')), true);
});

test("a worker's start is not part of a call's bound, and has a bound of its own", async () => {
  await newStore(30_000).set('start-key', 'v');
  // A worker that takes 1.5 s to start (as on a loaded login node), then runs the real worker code; the
  // call's own bound is 1 s, ample for a get even on a loaded machine.
  const workerUrl = new URL('../../src/store/keychain-worker.ts', import.meta.url).href;
  const slowStart = () =>
    new Worker(
      `const t = Date.now(); while (Date.now() - t < 1500); import(require('node:worker_threads').workerData);`,
      {
        eval: true,
        workerData: workerUrl,
        execArgv: [],
      },
    );
  const slow = new KeychainStore({ timeoutMs: 1000, startWorker: slowStart });
  stores.push(slow);
  assert.equal(await slow.get('start-key'), 'v', 'the 1 s bound counts from the started worker');
  assert.equal(await slow.delete('start-key'), true);

  // One that never starts: STORE_TIMEOUT once its own bound passes, and nothing is left waiting.
  const never = () => new Worker('setInterval(() => {}, 1000);', { eval: true, execArgv: [] });
  const stuck = new KeychainStore({ timeoutMs: 200, startWorker: never, workerStartMs: 300 });
  stores.push(stuck);
  await assert.rejects(
    stuck.get('start-key'),
    eidfError('STORE_TIMEOUT', /^keychain worker did not start within 0\.3 s \(get\)$/),
  );
});

/**
 * Runs `call` with setTimeout mocked and never advanced, so the store's own bound cannot fire: what
 * is tested then is the answer, not how fast a loaded machine starts a worker.
 */
async function withoutBound<T>(call: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    return await call();
  } finally {
    mock.timers.reset();
  }
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not met within 30 s');
}
