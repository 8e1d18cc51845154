/**
 * What `setup` replaced, so that `setup --undo` can put exactly that wiring back.
 * Stored as `setup-state.json` next to the product's config file, 0600. It holds registry hosts,
 * file paths and helper names only: never a secret.
 */

import { EidfError } from '../core/errors.ts';
import { isJsonObject, readJsonObjectFile } from './json-file.ts';

export interface SetupStateEntry {
  /** Registry host (the `credHelpers` key). */
  registry: string;
  /** The auth file as named (not a symlink's target). */
  file: string;
  /** `credHelpers[registry]` before setup set it to "eidf"; null when there was none. */
  previous: string | null;
  /** Whether the file had a `credHelpers` object before; if not, undo removes the one setup added once empty. */
  hadCredHelpers: boolean;
}

export interface SetupState {
  version: 1;
  entries: SetupStateEntry[];
}

/** Reads the state file; a missing file is an empty state. Throws CONFIG_INVALID naming the file. */
export async function readSetupState(path: string): Promise<SetupState> {
  const { value } = await readJsonObjectFile(path);
  if (Object.keys(value).length === 0) return { version: 1, entries: [] };
  const entries = value.entries;
  if (value.version !== 1 || !Array.isArray(entries) || !entries.every(isEntry)) {
    throw new EidfError(
      'CONFIG_INVALID',
      `${path} is not a setup state file this version understands; nothing was changed`,
    );
  }
  return { version: 1, entries };
}

/** The entry for one registry in one file, if any. */
export function findEntry(state: SetupState, registry: string, file: string): SetupStateEntry | undefined {
  return state.entries.find((e) => e.registry === registry && e.file === file);
}

/** A copy of `state` with the entry for (registry, file) replaced by `entry`, or dropped when `entry` is null. */
export function withEntry(
  state: SetupState,
  registry: string,
  file: string,
  entry: SetupStateEntry | null,
): SetupState {
  const others = state.entries.filter((e) => !(e.registry === registry && e.file === file));
  return { version: 1, entries: entry === null ? others : [...others, entry] };
}

function isEntry(value: unknown): value is SetupStateEntry {
  return (
    isJsonObject(value) &&
    typeof value.registry === 'string' &&
    typeof value.file === 'string' &&
    (value.previous === null || typeof value.previous === 'string') &&
    typeof value.hadCredHelpers === 'boolean'
  );
}
