/**
 * Ports: the narrow interfaces through which the core reaches time, storage, the network and
 * people. Real implementations live in `platform/` and `store/`; tests pass their own.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** A pending timer; cancelling it after it fired does nothing. */
export interface Timer {
  cancel(): void;
}

/**
 * Time that passes: the one timer port (real ones in `platform/timers.ts`, a manual one for tests in
 * `test/helpers/manual-timers.ts`).
 */
export interface Timers {
  /** Calls `callback` once, `delayMs` from now. A real timer does not keep the process alive. */
  setTimer(callback: () => void, delayMs: number): Timer;
  /** Resolves `delayMs` from now, or as soon as `signal` aborts. Keeps the process alive meanwhile. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** Which backend holds secrets. Shown by `status`; chosen by EIDF_STORE. */
export type StoreKind = 'keychain' | 'memory' | 'file';

/**
 * A registry credential: the user name and secret (a Harbor CLI secret, a robot's secret, or what
 * `docker login` stored), Docker-shaped as the helper protocol and the agent carry it. Never log it.
 */
export interface RegistryCredential {
  Username: string;
  Secret: string;
}

/**
 * A flat key → secret map. Keys are short ASCII names chosen by the caller (see `core/store-keys.ts`);
 * values are opaque strings (usually JSON). Every method rejects with an EidfError
 * (STORE_LOCKED, STORE_UNAVAILABLE, STORE_TIMEOUT) rather than pretending a value is absent.
 */
export interface SecretStore {
  readonly kind: StoreKind;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  /** Resolves true when something was deleted, false when there was nothing to delete. */
  delete(key: string): Promise<boolean>;
  /** Every key currently held. */
  keys(): Promise<string[]>;
}

export type Fetch = typeof globalThis.fetch;

/** Lines for people. Always stderr (or the agent's log file), never protocol stdout. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}
