import { EidfError } from '../core/errors.ts';
import type { RegistryCredential, SecretStore } from '../core/ports.ts';
import { registryCredentialKey, registryFromStoreKey } from '../core/store-keys.ts';

/**
 * Registry credentials stored through the helper protocol, kept in the SecretStore and cached in
 * agent memory so a warm `get` touches neither the keychain nor the network.
 * Writes go to the store first and to the cache only once the store has them.
 */
export class RegistryCredentials {
  readonly #store: SecretStore;
  /** registry → credential, or null when the store is known to hold nothing for it. */
  readonly #cache = new Map<string, RegistryCredential | null>();

  constructor(store: SecretStore) {
    this.#store = store;
  }

  async get(registry: string): Promise<RegistryCredential | null> {
    const cached = this.#cache.get(registry);
    if (cached !== undefined) return cached;
    const raw = await this.#store.get(registryCredentialKey(registry));
    const value = raw === null ? null : parseStored(raw);
    this.#cache.set(registry, value);
    return value;
  }

  async add(registry: string, credential: RegistryCredential): Promise<void> {
    const value = { Username: credential.Username, Secret: credential.Secret };
    await this.#store.set(registryCredentialKey(registry), JSON.stringify(value));
    this.#cache.set(registry, value);
  }

  async delete(registry: string): Promise<void> {
    await this.#store.delete(registryCredentialKey(registry));
    this.#cache.set(registry, null);
  }

  /** registry → username, read from the store (the cache may not know every entry). */
  async list(): Promise<Record<string, string>> {
    const result: Record<string, string> = {};
    for (const key of await this.#store.keys()) {
      const registry = registryFromStoreKey(key);
      if (registry === null) continue;
      const credential = await this.get(registry);
      if (credential) result[registry] = credential.Username;
    }
    return result;
  }
}

function parseStored(raw: string): RegistryCredential {
  try {
    const value = JSON.parse(raw) as Partial<RegistryCredential>;
    if (typeof value.Username === 'string' && typeof value.Secret === 'string')
      return { Username: value.Username, Secret: value.Secret };
  } catch {
    // fall through
  }
  throw new EidfError('STORE_UNAVAILABLE', 'a stored registry credential is unreadable; erase it and log in again');
}
