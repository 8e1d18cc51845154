/**
 * Robot secrets kept in the SecretStore under `robotSecretKey(registry, fullName)`, as JSON
 * `{"robotId":N,"secret":"…","expiresAt":ms|null}`. The id is kept so that a robot deleted and re-created
 * under the same name (by anyone) is not mistaken for the one whose secret we hold; the expiry (as Harbor
 * said when the secret was kept; absent in entries written before it was recorded) lets `status` warn.
 * A secret imported without a login (Harbor's robot API needs one) has id null and no expiry until a
 * logged-in use finds the robot and fills both in.
 */

import type { SecretStore } from '../core/ports.ts';
import { robotFromStoreKey, robotSecretKey } from '../core/store-keys.ts';

export interface KeptRobotSecret {
  robotId: number | null;
  secret: string;
  /** ms since the epoch, null = never, undefined = not recorded. */
  expiresAt?: number | null;
}

/** A kept robot, without its secret (for status). */
export interface KeptRobot {
  fullName: string;
  expiresAt: number | null | undefined;
}

/** The kept secret of `fullName`, or undefined when there is none or the entry is unreadable. */
export async function readRobotSecret(
  store: SecretStore,
  registry: string,
  fullName: string,
): Promise<KeptRobotSecret | undefined> {
  const raw = await store.get(robotSecretKey(registry, fullName));
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<KeptRobotSecret>;
    if (
      (typeof parsed.robotId === 'number' || parsed.robotId === null) &&
      typeof parsed.secret === 'string' &&
      parsed.secret !== ''
    ) {
      const expiresAt =
        typeof parsed.expiresAt === 'number' || parsed.expiresAt === null ? parsed.expiresAt : undefined;
      return { robotId: parsed.robotId, secret: parsed.secret, ...(expiresAt !== undefined ? { expiresAt } : {}) };
    }
  } catch {
    // an entry written by something else: treated as absent
  }
  return undefined;
}

/** Writes (or replaces) the kept secret of `fullName`. */
export async function keepRobotSecret(
  store: SecretStore,
  registry: string,
  fullName: string,
  kept: KeptRobotSecret,
): Promise<void> {
  const expiry = kept.expiresAt !== undefined ? { expiresAt: kept.expiresAt } : {};
  await store.set(
    robotSecretKey(registry, fullName),
    JSON.stringify({ robotId: kept.robotId, secret: kept.secret, ...expiry }),
  );
}

/** The robots whose secrets are kept for `registry`, with the expiry recorded for each. */
export async function keptRobots(store: SecretStore, registry: string): Promise<KeptRobot[]> {
  const robots: KeptRobot[] = [];
  for (const key of await store.keys()) {
    const fullName = robotFromStoreKey(key, registry);
    if (fullName === null) continue;
    const kept = await readRobotSecret(store, registry, fullName);
    if (kept) robots.push({ fullName, expiresAt: kept.expiresAt });
  }
  return robots.sort((a, b) => a.fullName.localeCompare(b.fullName));
}

/** Removes the kept secret of `fullName`; true when there was one. */
export function forgetRobotSecret(store: SecretStore, registry: string, fullName: string): Promise<boolean> {
  return store.delete(robotSecretKey(registry, fullName));
}
