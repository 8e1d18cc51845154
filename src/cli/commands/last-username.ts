import { dirname, join } from 'node:path';
import type { Config } from '../../config.ts';
import type { CliDeps } from '../deps.ts';

/**
 * The Harbor username last used for a secret login, per registry, offered as the default next
 * time. Kept in `last-username.json` next to config.json (0600): a username, never a secret.
 */
function fileOf(config: Config): string {
  return join(dirname(config.paths.configFile), 'last-username.json');
}

export function readLastUsername(config: Config, deps: CliDeps): string | undefined {
  try {
    const text = deps.readText(fileOf(config));
    const value = text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>)[config.registry];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined; // unreadable: no default, nothing worse
  }
}

/** Records `username` for the registry, keeping other registries' entries; failures are not fatal. */
export async function writeLastUsername(config: Config, deps: CliDeps, username: string): Promise<void> {
  const { writeFileAtomic } = await import('../../platform/atomic-file.ts');
  let all: Record<string, unknown> = {};
  try {
    const text = deps.readText(fileOf(config));
    const parsed: unknown = text === undefined ? {} : JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      all = parsed as Record<string, unknown>;
  } catch {
    all = {};
  }
  all[config.registry] = username;
  await writeFileAtomic(fileOf(config), `${JSON.stringify(all, null, 2)}\n`, 0o600, { createFolders: true }).catch(
    () => undefined,
  );
}
