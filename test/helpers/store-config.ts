import { loadConfig, type Config } from '../../src/config.ts';

/** A Config for store tests: every per-user path under a temp EIDF_HOME, the store chosen by name. */
export function storeTestConfig(
  home: string,
  store: 'auto' | 'keychain' | 'memory' | 'file',
  keychainTimeoutMs = 3000,
): Config {
  return loadConfig(
    { EIDF_HOME: home, EIDF_STORE: store, EIDF_KEYCHAIN_TIMEOUT_MS: String(keychainTimeoutMs) },
    1000,
    () => undefined,
  );
}
