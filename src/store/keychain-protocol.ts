/** Messages between the keychain store and its worker (`keychain-worker.ts`). */
/**
 * `ping`: answer null without touching the addon or D-Bus; the store waits for it (the worker has
 * started) before it bounds a call.
 */
export type KeychainOp = 'ping' | 'get' | 'set' | 'delete' | 'keys';

export interface KeychainRequest {
  id: number;
  op: KeychainOp;
  service: string;
  account?: string;
  value?: string;
  /** Pin the Linux Secret Service store (no fallback to kernel keyutils). */
  pin: boolean;
}

export type KeychainReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };
