import type { EidfError } from '../core/errors.ts';
import type { SecretStore, StoreKind } from '../core/ports.ts';

/**
 * The store the user chose, when it could not be opened (EIDF_STORE=keychain without a
 * keychain, a corrupt secrets file): every call fails with the same one-line error. The agent
 * still starts with it, so each command says what is wrong at once instead of the helper
 * waiting for an agent that never comes up.
 */
export class UnusableStore implements SecretStore {
  readonly kind: StoreKind;
  readonly #error: EidfError;

  constructor(kind: StoreKind, error: EidfError) {
    this.kind = kind;
    this.#error = error;
  }

  get(): Promise<string | null> {
    return Promise.reject(this.#error);
  }

  set(): Promise<void> {
    return Promise.reject(this.#error);
  }

  delete(): Promise<boolean> {
    return Promise.reject(this.#error);
  }

  keys(): Promise<string[]> {
    return Promise.reject(this.#error);
  }
}
