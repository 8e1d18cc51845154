/**
 * Names of the entries this product keeps in a SecretStore. One place, so that a store listing
 * can be read back into meaning and nothing collides.
 */
const REGISTRY_PREFIX = 'registry:';

/** A registry credential stored through the helper protocol (`store`), by registry key. */
export function registryCredentialKey(registry: string): string {
  return `${REGISTRY_PREFIX}${registry}`;
}

/** The registry key inside a store key, or null for entries of another kind. */
export function registryFromStoreKey(key: string): string | null {
  return key.startsWith(REGISTRY_PREFIX) ? key.slice(REGISTRY_PREFIX.length) : null;
}

/** The OIDC refresh token of the session for one issuer and client. */
export function refreshTokenKey(issuer: string, clientId: string): string {
  return `oidc-refresh:${clientId}@${issuer}`;
}

/** A robot account's secret, by registry and full robot name (`robot$project+name`). */
export function robotSecretKey(registry: string, robotName: string): string {
  return `robot:${registry}/${robotName}`;
}

/** The full robot name inside a robot-secret key of `registry`, or null for other entries. */
export function robotFromStoreKey(key: string, registry: string): string | null {
  const prefix = robotSecretKey(registry, '');
  return key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : null;
}
