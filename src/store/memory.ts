import type { SecretStore } from '../core/ports.ts';

/**
 * Secrets held in this process's memory only: lost when the process exits (like ssh-agent).
 * The agent uses it when no keychain works or when EIDF_STORE=memory; tests use it as a real store.
 * Reads and writes nothing outside the process.
 */
export class MemoryStore implements SecretStore {
  readonly kind = 'memory' as const;
  readonly #entries = new Map<string, string>();

  async get(key: string): Promise<string | null> {
    return this.#entries.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    this.#entries.set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    return this.#entries.delete(key);
  }

  async keys(): Promise<string[]> {
    return [...this.#entries.keys()];
  }
}
