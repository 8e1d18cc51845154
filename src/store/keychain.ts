import { platform as osPlatform } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EidfError, oneLine } from '../core/errors.ts';
import type { SecretStore } from '../core/ports.ts';
import { seaKeychainWorker, type SeaKeychainWorker } from '../platform/sea-keychain.ts';
import type { KeychainOp, KeychainReply, KeychainRequest } from './keychain-protocol.ts';
import { readSecretServiceState, type StateReading } from './secret-service-state.ts';

/** The keychain service name every entry is filed under; the account is the store key. */
export const KEYCHAIN_SERVICE = 'docker-credential-eidf';

/** A key no one stores; `check()` reads it to prove the keychain answers. */
const PROBE_KEY = 'docker-credential-eidf-probe';

/** How long an idle keychain worker lives before it is stopped. */
const IDLE_WORKER_MS = 30_000;
/** Workers abandoned on a timeout that are still stuck; past this, calls fail at once. */
const MAX_STUCK_WORKERS = 2;
/**
 * Default bound on a worker's start (a V8 isolate and the worker's code: ~50-100 ms here, seconds on
 * a loaded login node), which is not part of any call's `timeoutMs`.
 */
const WORKER_START_MS = 10_000;

export interface KeychainStoreOptions {
  /** Upper bound in ms on any one call, lock-state check included (config.keychainTimeoutMs). */
  timeoutMs: number;
  /** Service name to file entries under; tests use their own. Default KEYCHAIN_SERVICE. */
  service?: string;
  /** Default: this machine's. On `linux` the Secret Service is pinned and its lock state read. */
  platform?: NodeJS.Platform;
  /** Reads the Secret Service lock state (Linux). Default: a D-Bus tool, see secret-service-state.ts. */
  readState?: (timeoutMs: number) => Promise<StateReading>;
  /** Starts a keychain worker. Default: keychain-worker.ts, or the single executable's copy. */
  startWorker?: () => Worker;
  /** Bound on a worker's start, until it answers `ping` (default WORKER_START_MS). */
  workerStartMs?: number;
}

interface WorkerHandle {
  worker: Worker;
  pending: Map<number, { resolve(value: unknown): void; reject(err: EidfError): void }>;
  /** The worker has answered `ping`: it has started. */
  started: boolean;
}

/**
 * Secrets in the OS keychain through @napi-rs/keyring (Secret Service on Linux, pinned; Keychain
 * on macOS; Credential Manager on Windows): service `docker-credential-eidf`, account = key.
 *
 * The addon is loaded only in a worker thread started on first use (see keychain-worker.ts), so a
 * process that never touches the keychain never loads it, and a keychain that does not answer
 * cannot block the event loop. Every call is bounded by `timeoutMs` → STORE_TIMEOUT, counted from
 * when the worker has started (a start has its own bound). On Linux an
 * empty answer (get → null, delete → false, keys → []) is trusted only after the default
 * collection is seen unlocked: a locked gnome-keyring answers `null` for keys it cannot see, and
 * that must surface as STORE_LOCKED, never as "not found".
 */
export class KeychainStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly #timeoutMs: number;
  readonly #service: string;
  readonly #linux: boolean;
  readonly #readState: (timeoutMs: number) => Promise<StateReading>;
  readonly #startWorker: () => Worker;
  readonly #workerStartMs: number;
  #handle: WorkerHandle | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #nextId = 1;
  #stuck = 0;

  constructor(options: KeychainStoreOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#service = options.service ?? KEYCHAIN_SERVICE;
    this.#linux = (options.platform ?? osPlatform()) === 'linux';
    this.#readState = options.readState ?? readSecretServiceState;
    this.#startWorker = options.startWorker ?? startKeychainWorker;
    this.#workerStartMs = options.workerStartMs ?? WORKER_START_MS;
  }

  get(key: string): Promise<string | null> {
    return this.#bounded('get', async () => {
      const value = await this.#call('get', key);
      if (value === null) await this.#confirmNothingHidden();
      return typeof value === 'string' ? value : null;
    });
  }

  set(key: string, value: string): Promise<void> {
    return this.#bounded('set', async () => {
      await this.#call('set', key, value);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.#bounded('delete', async () => {
      const deleted = (await this.#call('delete', key)) === true;
      if (!deleted) await this.#confirmNothingHidden();
      return deleted;
    });
  }

  keys(): Promise<string[]> {
    return this.#bounded('list', async () => {
      const accounts = (await this.#call('keys')) as string[];
      if (accounts.length === 0) await this.#confirmNothingHidden();
      return accounts;
    });
  }

  /**
   * Proves the keychain can be used now. Rejects STORE_LOCKED, STORE_UNAVAILABLE (no bus, no
   * Secret Service, no default keyring, addon not loadable) or STORE_TIMEOUT. Writes nothing.
   */
  check(): Promise<void> {
    return this.#bounded('check', async () => {
      if (this.#linux) {
        const { state, detail } = await this.#readState(this.#timeoutMs);
        if (state === 'no-collection')
          throw new EidfError('STORE_UNAVAILABLE', `keychain has no default keyring: ${detail}`);
        this.#throwUnlessUsable(state, detail);
      }
      await this.#call('get', PROBE_KEY);
    });
  }

  /**
   * Stops the worker thread, if one runs; waits at most `timeoutMs` for it (a worker stuck in a
   * D-Bus call only ends when that call returns). The store can still be used afterwards.
   */
  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (!handle) return;
    handle.worker.unref();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#timeoutMs);
      timer.unref();
    });
    await Promise.race([handle.worker.terminate().catch(() => undefined), waited]);
    clearTimeout(timer);
  }

  async #confirmNothingHidden(): Promise<void> {
    if (!this.#linux) return;
    const { state, detail } = await this.#readState(this.#timeoutMs);
    // no-collection: nothing can be stored there, so "nothing" is the truth; unknown: no tool
    // to ask, so the addon's answer stands.
    this.#throwUnlessUsable(state, detail);
  }

  #throwUnlessUsable(state: StateReading['state'], detail: string): void {
    if (state === 'locked') throw lockedError();
    if (state === 'no-service') throw new EidfError('STORE_UNAVAILABLE', `keychain unavailable: ${detail}`);
    if (state === 'timeout') throw this.#timeoutError('lock-state check');
  }

  async #bounded<T>(what: string, task: () => Promise<T>): Promise<T> {
    if (this.#stuck >= MAX_STUCK_WORKERS) throw this.#timeoutError(what, ' (earlier calls are still stuck)');
    await this.#workerStarted(what);
    return this.#within(task(), this.#timeoutMs, () => this.#timeoutError(what));
  }

  /**
   * Starts the worker if none runs and waits, within `workerStartMs`, until it answers `ping`. The
   * addon is loaded by the first call, inside that call's bound: loading it may wait on libdbus
   * locks that a stuck worker holds.
   */
  async #workerStarted(what: string): Promise<void> {
    const handle = this.#worker();
    if (handle.started) return;
    await this.#within(
      this.#call('ping'),
      this.#workerStartMs,
      () =>
        new EidfError(
          'STORE_TIMEOUT',
          `keychain worker did not start within ${this.#workerStartMs / 1000} s (${what})`,
        ),
    );
    handle.started = true;
  }

  /** `work`'s answer, or `tooLate()` thrown after `ms`, the worker then abandoned (it may be stuck). */
  async #within<T>(work: Promise<T>, ms: number, tooLate: () => EidfError): Promise<T> {
    work.catch(() => undefined); // it may settle after the bound has answered
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#abandonWorker();
        reject(tooLate());
      }, ms);
    });
    try {
      return await Promise.race([work, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  #call(op: KeychainOp, account?: string, value?: string): Promise<unknown> {
    clearTimeout(this.#idleTimer);
    const handle = this.#worker();
    const id = this.#nextId++;
    const request: KeychainRequest = { id, op, service: this.#service, pin: this.#linux };
    if (account !== undefined) request.account = account;
    if (value !== undefined) request.value = value;
    return new Promise((resolve, reject) => {
      handle.pending.set(id, { resolve, reject });
      handle.worker.ref(); // keep the process alive while a reply is due
      handle.worker.postMessage(request);
    });
  }

  #worker(): WorkerHandle {
    if (this.#handle) return this.#handle;
    const worker = this.#startWorker();
    const handle: WorkerHandle = { worker, pending: new Map(), started: false };
    const settleAll = (err: EidfError) => {
      for (const { reject } of handle.pending.values()) reject(err);
      handle.pending.clear();
      if (this.#handle === handle) this.#handle = undefined;
    };
    worker.on('message', (reply: KeychainReply) => {
      const waiter = handle.pending.get(reply.id);
      handle.pending.delete(reply.id);
      if (handle.pending.size === 0) {
        worker.unref();
        this.#stopWhenIdle();
      }
      if (!waiter) return;
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(keychainError(reply.message));
    });
    worker.on('error', (err: Error) =>
      settleAll(new EidfError('STORE_UNAVAILABLE', `keychain unavailable: ${oneLine(err.message)}`)),
    );
    worker.on('exit', () => settleAll(new EidfError('STORE_UNAVAILABLE', 'keychain unavailable: its worker stopped')));
    worker.unref();
    this.#handle = handle;
    return handle;
  }

  /**
   * The agent caches what it reads, so the keychain is rarely used after start; an idle worker
   * (a whole V8 isolate, ~20 MB) is stopped and started again on the next call (~85 ms).
   */
  #stopWhenIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#handle && this.#handle.pending.size === 0) void this.close();
    }, IDLE_WORKER_MS);
    this.#idleTimer.unref();
  }

  /** Leaves a worker that is stuck in a keychain call; it ends by itself when the call returns. */
  #abandonWorker(): void {
    const handle = this.#handle;
    if (!handle) return;
    this.#handle = undefined;
    handle.pending.clear();
    this.#stuck++;
    handle.worker.once('exit', () => this.#stuck--);
    handle.worker.terminate().catch(() => undefined);
    handle.worker.unref();
  }

  #timeoutError(what: string, suffix = ''): EidfError {
    return new EidfError('STORE_TIMEOUT', `keychain did not answer (${what}) within ${this.#timeoutMs} ms${suffix}`);
  }
}

function lockedError(): EidfError {
  return new EidfError(
    'STORE_LOCKED',
    'keychain is locked; unlock it (for example by logging in to the desktop) and try again',
  );
}

/**
 * Turns an addon error message into a store error. Exported for unit tests. Messages seen from
 * @napi-rs/keyring 2.1.2 on Linux: "…unlock prompt was dismissed" and "…IsLocked…" (locked),
 * "…Did not receive a reply…" (libdbus reply timeout), "…not provided by any .service files",
 * "…Failed to connect to socket…", "…no result found" (no default keyring).
 */
export function keychainError(message: string): EidfError {
  const line = oneLine(message);
  if (/locked|unlock prompt|prompt was dismissed/i.test(line)) {
    return new EidfError('STORE_LOCKED', lockedError().message);
  }
  if (/Did not receive a reply|NoReply|timed out/i.test(line))
    return new EidfError('STORE_TIMEOUT', `keychain did not answer: ${line}`);
  return new EidfError('STORE_UNAVAILABLE', `keychain unavailable: ${line}`);
}

/**
 * The default keychain worker. No inherited flags: some (--input-type, --eval) are refused by
 * workers, and none is needed. The single executable has no keychain-worker.ts beside it: it
 * carries the worker's code and the addon, and passes the worker the file it wrote the addon to
 * (platform/sea-keychain.ts).
 */
function startKeychainWorker(): Worker {
  let sea: SeaKeychainWorker | undefined;
  try {
    sea = seaKeychainWorker();
  } catch (err) {
    throw new EidfError(
      'STORE_UNAVAILABLE',
      `keychain unavailable: cannot unpack its addon: ${oneLine((err as Error).message)}`,
    );
  }
  return sea
    ? new Worker(sea.code, { eval: true, workerData: sea.workerData, execArgv: [] })
    : new Worker(new URL('./keychain-worker.ts', import.meta.url), { execArgv: [] });
}
