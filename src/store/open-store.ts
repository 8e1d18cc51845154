import { platform as osPlatform } from 'node:os';
import type { Config } from '../config.ts';
import { EidfError } from '../core/errors.ts';
import type { SecretStore, StoreKind } from '../core/ports.ts';
import { FileStore } from './file.ts';
import { KeychainStore } from './keychain.ts';
import { MemoryStore } from './memory.ts';

/** The store in use, and why it was chosen, one line for `docker-credential-eidf status`. */
export interface StoreChoice {
  store: SecretStore;
  kind: StoreKind;
  reason: string;
  /** The secrets file, when the store is the file store. */
  path?: string;
}

export interface OpenStoreDeps {
  /** One line for people (stderr or the agent log), when the choice deserves a warning. */
  warn(line: string): void;
  /** Default: this machine's. */
  platform?: NodeJS.Platform;
}

/**
 * Opens the secret store that `config.store` (EIDF_STORE) asks for.
 *
 * - `keychain`: the OS keychain; if it cannot be used (no D-Bus, no Secret Service, no keyring,
 *   no answer in time) this rejects with that STORE_* error, no fallback. A *locked* keychain is
 *   still chosen (it may be unlocked later; until then every call says STORE_LOCKED) with a warning.
 * - `memory`: agent memory only. `file`: `config.paths.fileStore` (checked now, so a corrupt or
 *   unsafe file is reported at start).
 * - `auto`: the keychain if a time-bounded check says it works (or is merely locked), otherwise
 *   the file store (0600, as gh, kubelogin and gcloud do on a headless machine), with one warning
 *   line naming the file, so a login survives agent restarts and reboots. `memory` is only ever
 *   chosen explicitly.
 *
 * Touches nothing but the chosen store; the keychain check reads one key and writes nothing.
 */
export async function openStore(config: Config, deps: OpenStoreDeps): Promise<StoreChoice> {
  const makeKeychain = () =>
    new KeychainStore({ timeoutMs: config.keychainTimeoutMs, platform: deps.platform ?? osPlatform() });
  switch (config.store) {
    case 'memory':
      return {
        store: new MemoryStore(),
        kind: 'memory',
        reason: 'chosen by EIDF_STORE=memory; secrets last until the agent stops',
      };
    case 'file': {
      const store = new FileStore(config.paths.fileStore);
      await store.keys();
      return {
        store,
        kind: 'file',
        reason: `chosen by EIDF_STORE=file; ${config.paths.fileStore}`,
        path: config.paths.fileStore,
      };
    }
    case 'keychain': {
      const store = makeKeychain();
      const problem = await checkKeychain(store);
      if (problem && problem.code !== 'STORE_LOCKED') {
        await store.close();
        throw new EidfError(problem.code, `EIDF_STORE=keychain but ${problem.message}`, { cause: problem });
      }
      return keychainChoice(store, 'chosen by EIDF_STORE=keychain', problem, deps);
    }
    case 'auto': {
      const store = makeKeychain();
      const problem = await checkKeychain(store);
      if (!problem || problem.code === 'STORE_LOCKED')
        return keychainChoice(store, 'EIDF_STORE=auto and the OS keychain answers', problem, deps);
      await store.close();
      const path = config.paths.fileStore;
      const file = new FileStore(path);
      await file.keys();
      // "keychain unavailable: X" reads "no usable keychain: X" here, not the word twice.
      const why = `${NO_KEYCHAIN}: ${problem.message.replace(/^keychain unavailable: /, '')}`;
      deps.warn(`${why}; secrets are kept in ${path} (0600); EIDF_STORE=memory keeps nothing on disk`);
      return {
        store: file,
        kind: 'file',
        reason: `${why}; secrets in ${path} (0600)`,
        path,
      };
    }
  }
}

/** How a StoreChoice's reason starts when `auto` fell back to the file store. */
export const NO_KEYCHAIN = 'no usable keychain';

async function checkKeychain(store: KeychainStore): Promise<EidfError | undefined> {
  try {
    await store.check();
    return undefined;
  } catch (err) {
    if (err instanceof EidfError) return err;
    return new EidfError('STORE_UNAVAILABLE', 'keychain unavailable: unexpected failure', { cause: err });
  }
}

function keychainChoice(
  store: KeychainStore,
  reason: string,
  problem: EidfError | undefined,
  deps: OpenStoreDeps,
): StoreChoice {
  if (!problem) return { store, kind: 'keychain', reason };
  deps.warn(`${problem.message}; secrets cannot be read or saved until then`);
  return { store, kind: 'keychain', reason: `${reason}, but it was locked at start` };
}
