/**
 * Worker-thread side of the keychain store. It alone loads the native @napi-rs/keyring addon
 * and calls it with the addon's *synchronous* API.
 *
 * Why a worker: the addon's constructors (`new AsyncEntry(...)`) talk to D-Bus on the calling
 * thread, so a Secret Service that does not answer blocks the whole event loop for libdbus's
 * 25 s reply timeout, and the async methods hold a libuv pool thread just as long. Here only this
 * worker blocks; the store abandons it after `timeoutMs` and starts a fresh one.
 *
 * Reads `workerData.addonPath` (set only by the single executable), then requests
 * `{ id, op, service, account?, value?, pin }` from the parent port, and answers
 * `{ id, ok: true, value }` or `{ id, ok: false, message }` (the addon's message, one line;
 * it never holds the secret).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KeychainReply, KeychainRequest } from './keychain-protocol.ts';
import { oneLine } from '../core/errors.ts';

type Keyring = typeof import('@napi-rs/keyring');

let keyring: Keyring | undefined;

async function load(): Promise<Keyring> {
  if (keyring === undefined) {
    // In the single executable there is no node_modules: the parent wrote the addon to a private
    // file and names it in workerData (platform/sea-keychain.ts). The package's index.js only picks
    // the addon for the platform and re-exports it, so the addon itself is the same API.
    const addonPath = (workerData as { addonPath?: string } | null)?.addonPath;
    if (addonPath !== undefined) {
      const addon = { exports: {} as Keyring };
      process.dlopen(addon, addonPath);
      keyring = addon.exports;
    } else {
      const loaded = (await import('@napi-rs/keyring')) as Keyring & { default?: Keyring };
      keyring = loaded.default ?? loaded;
    }
  }
  return keyring;
}

async function perform(request: KeychainRequest): Promise<unknown> {
  // Before the addon: a stuck D-Bus call of another worker in this process may hold libdbus's locks.
  if (request.op === 'ping') return null;
  const k = await load();
  // On Linux pin the Secret Service: the default silently falls back to the kernel keyutils
  // keyring, which forgets everything at reboot.
  const options = request.pin ? { linux: { store: 'secret-service' as const } } : undefined;
  const entry = () => new k.Entry(request.service, request.account ?? '', options);
  switch (request.op) {
    case 'get':
      return entry().getPassword();
    case 'set':
      entry().setPassword(request.value ?? '');
      return null;
    case 'delete':
      return entry().deletePassword();
    case 'keys':
      // findCredentials takes no store option; on Linux it speaks Secret Service (zbus) only.
      return k.findCredentials(request.service).map((c) => c.account);
  }
}

parentPort?.on('message', (request: KeychainRequest) => {
  perform(request).then(
    (value): void => parentPort?.postMessage({ id: request.id, ok: true, value } satisfies KeychainReply),
    (err: unknown): void => {
      const message = oneLine(err);
      parentPort?.postMessage({ id: request.id, ok: false, message } satisfies KeychainReply);
    },
  );
});
