import type { SecretStore } from '../core/ports.ts';
import { robotSecretKey } from '../core/store-keys.ts';

/**
 * Robot secrets kept in the SecretStore under `robotSecretKey(registry, fullName)`, as JSON
 * `{"robotId":N,"secret":"…"}`. The id is kept so that a robot deleted and re-created under the same
 * name (by anyone) is not mistaken for the one whose secret we hold.
 */
export interface KeptRobotSecret {
  robotId: number;
  secret: string;
}

/** The kept secret of `fullName`, or undefined when there is none or the entry is unreadable. */
export async function readRobotSecret(store: SecretStore, registry: string, fullName: string): Promise<KeptRobotSecret | undefined> {
  const raw = await store.get(robotSecretKey(registry, fullName));
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<KeptRobotSecret>;
    if (typeof parsed.robotId === 'number' && typeof parsed.secret === 'string' && parsed.secret !== '') {
      return { robotId: parsed.robotId, secret: parsed.secret };
    }
  } catch {
    // an entry written by something else: treated as absent
  }
  return undefined;
}

/** Writes (or replaces) the kept secret of `fullName`. */
export async function keepRobotSecret(store: SecretStore, registry: string, fullName: string, kept: KeptRobotSecret): Promise<void> {
  await store.set(robotSecretKey(registry, fullName), JSON.stringify({ robotId: kept.robotId, secret: kept.secret }));
}

/** Removes the kept secret of `fullName`; true when there was one. */
export function forgetRobotSecret(store: SecretStore, registry: string, fullName: string): Promise<boolean> {
  return store.delete(robotSecretKey(registry, fullName));
}
