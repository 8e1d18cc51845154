/**
 * What `setup` replaced, so that `setup --undo` (and `install.sh --uninstall`, through
 * `setup --undo --all`) can put exactly that wiring back, for every registry setup ran for.
 * Stored as `setup-state.json` next to the product's config file, 0600. It holds registry hosts,
 * file paths and helper names only: never a secret.
 */

import { EidfError } from '../core/errors.ts';
import { isJsonObject, readJsonObjectFile } from './json-file.ts';

export interface SetupStateEntry {
  /** Registry host setup ran for (the `credHelpers` key; for `credsStore`, the registry configured then). */
  registry: string;
  /** The auth file as named (not a symlink's target). */
  file: string;
  /** Which key setup wrote: `credsStore` (setup --creds-store); absent means `credHelpers[registry]`. */
  key?: 'credsStore';
  /** The key's value before setup set it to "eidf"; null when there was none. */
  previous: string | null;
  /** Whether the file had a `credHelpers` object before; if not, undo removes the one setup added once empty. */
  hadCredHelpers: boolean;
  /**
   * Set when setup created the file: the topmost path it created for it (the file, or its first new
   * folder). Undo deletes the file when it then holds nothing else, and those folders when empty.
   */
  created?: string;
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

/** Whether two entries are about the same key of the same file. */
export function sameSlot(a: SetupStateEntry, b: Pick<SetupStateEntry, 'registry' | 'file' | 'key'>): boolean {
  if (a.file !== b.file || a.key !== b.key) return false;
  // One credsStore per file, whatever registry it was written for.
  return a.key === 'credsStore' || a.registry === b.registry;
}

/** A copy of `state` with `entry`'s slot replaced by `entry`, or `slot` dropped when `entry` is null. */
export function withEntry(
  state: SetupState,
  slot: Pick<SetupStateEntry, 'registry' | 'file' | 'key'>,
  entry: SetupStateEntry | null,
): SetupState {
  const others = state.entries.filter((e) => !sameSlot(e, slot));
  return { version: 1, entries: entry === null ? others : [...others, entry] };
}

function isEntry(value: unknown): value is SetupStateEntry {
  return (
    isJsonObject(value) &&
    typeof value.registry === 'string' &&
    typeof value.file === 'string' &&
    (value.key === undefined || value.key === 'credsStore') &&
    (value.previous === null || typeof value.previous === 'string') &&
    typeof value.hadCredHelpers === 'boolean' &&
    (value.created === undefined || typeof value.created === 'string')
  );
}
