/**
 * The keychain worker's source inside the single executable: its bundled code and the native
 * addon, both SEA assets (scripts/build-sea.ts). Only the keychain store imports this file, so the
 * helper's `get` path never loads it.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEA_ASSETS, seaModule, type SeaModule } from './runtime.ts';

let addonPath: string | undefined;

/** How to start the keychain worker inside the single executable. */
export interface SeaKeychainWorker {
  /** The worker's code, for `new Worker(code, { eval: true })`. */
  code: string;
  /** What the worker reads: the private file the native addon was written to. */
  workerData: { addonPath: string };
}

/**
 * The keychain worker of the single executable, or undefined from a checkout (the worker is then
 * src/store/keychain-worker.ts and the addon comes from node_modules).
 *
 * A native addon can only be loaded from a file, and a SEA holds none: the first call writes the
 * embedded addon (~3 MB) to a fresh 0700 folder under the temp dir, once per process (again only
 * if that file has gone), and removes the folder when the process exits. Throws if the temp dir
 * cannot be written.
 */
export function seaKeychainWorker(): SeaKeychainWorker | undefined {
  const mod = seaModule();
  if (mod === null) return undefined;
  return { code: mod.getAsset(SEA_ASSETS.keychainWorker, 'utf8'), workerData: { addonPath: extractAddon(mod) } };
}

function extractAddon(mod: SeaModule): string {
  // Checked again each time: a long-lived agent restarts its worker, and a temp cleaner may
  // have removed the file meanwhile.
  if (addonPath !== undefined && existsSync(addonPath)) return addonPath;
  const dir = mkdtempSync(join(tmpdir(), 'docker-credential-eidf-addon-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o700); // mkdtemp already makes it 0700; say so regardless of the umask
  const file = join(dir, SEA_ASSETS.keyringAddon);
  writeFileSync(file, new Uint8Array(mod.getRawAsset(SEA_ASSETS.keyringAddon)), { mode: 0o700, flag: 'wx' });
  addonPath = file;
  return file;
}
