/**
 * `setup` and `setup --undo`: wire `credHelpers[<registry host>] = "eidf"` into Docker's config.json
 * and the containers auth.json (see `auth-files.ts` for which files), or put back what was there.
 *
 * `setup --creds-store` writes `credsStore: "eidf"` into Docker's config.json only: Docker then sends
 * every registry without a `credHelpers` entry to this helper (a plain store for all but the configured
 * registry). podman, skopeo and buildah read `auths` and `credHelpers` only (containers-auth.json(5)),
 * so the containers file is left alone then.
 * Setup moves a plaintext `auths` secret for the registry into the store (through `saveCredential`)
 * and removes it from the file only after the store accepted it. Entries without a secret (the `{}`
 * `docker login` writes next to credHelpers) are left alone: they hold nothing, and Docker rewrites them.
 *
 * Every file is read and checked before any is written; then all edits are applied or none
 * (`applyChanges`). A run that has nothing to do writes nothing. Before a file is edited, its previous
 * content goes to a new backup next to it (`<file>.eidf-backup`, then `.eidf-backup.1`, …; 0600; an
 * earlier backup is never replaced, so the first one is the file as it was before setup ever ran) —
 * without the moved secret: secrets live only in the store. Undo restores the wiring recorded in
 * `setup-state.json`, never a secret, and deletes a file setup created once it holds nothing else
 * (with the folders setup created for it, when empty). `--all` undoes every recorded entry, for
 * any registry (install.sh --uninstall).
 */

import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EidfError, errnoCode, oneLine } from '../core/errors.ts';
import type { RegistryCredential } from '../core/ports.ts';
import { registryKey } from '../core/registry-url.ts';
import type { Env, Paths } from '../config.ts';
import { applyChanges, removeEmptyDirs, type FileChange } from './atomic-write.ts';
import { locateAuthFiles, nextBackupFor, setupStateFile, type AuthFileLocation } from './auth-files.ts';
import { findPlaintextAuths, HELPER_NAME, readHelper, removeAuths, writeHelper } from './auth-entries.ts';
import {
  cloneJson,
  formatJson,
  isJsonObject,
  readJsonObjectFile,
  type JsonObject,
  type JsonObjectFile,
} from './json-file.ts';
import { readSetupState, withEntry, type SetupState, type SetupStateEntry } from './setup-state.ts';
import { describeFileReport, type FileAction, type FileReport, type SetupReport } from './setup-report.ts';

export type { FileAction, FileReport, SetupReport } from './setup-report.ts';

export interface SetupInput {
  /** Registry host or URL; normalised with `registryKey`. */
  registry: string;
  undo: boolean;
  /** With `undo`: every entry the state file records, whatever the registry. */
  all?: boolean;
  /** Write `credsStore` into Docker's config.json instead of `credHelpers` (setup only). */
  credsStore?: boolean;
  env: Env;
  paths: Paths;
  /** Folder relative DOCKER_CONFIG / REGISTRY_AUTH_FILE / XDG_RUNTIME_DIR are resolved against; without it they are refused. */
  cwd?: string;
  /** Puts a credential into the product's store (the agent). Only called by setup, before any file is written. */
  saveCredential(registry: string, credential: RegistryCredential): Promise<void>;
  /** One line for people (stderr). */
  log(line: string): void;
}

/** A file to handle: one of `locateAuthFiles`, or one only the state file names. */
type Target = Omit<AuthFileLocation, 'kind'> & { kind: FileReport['kind'] };

interface StateUpdate {
  slot: SetupStateEntry;
  /** null: drop the slot's entry. */
  entry: SetupStateEntry | null;
}

interface Plan {
  file: JsonObjectFile;
  next: JsonObject;
  changed: boolean;
  reports: FileReport[];
  credential: RegistryCredential | null;
  movedKeys: string[];
  updates: StateUpdate[];
  /** Undo: delete the file (setup created it and it now holds nothing else); the topmost path setup created. */
  deleteUpTo: string | null;
}

/** Runs setup (or undo) for one registry. Throws a one-line EidfError naming the file; then nothing was changed. */
export async function runSetup(input: SetupInput): Promise<SetupReport> {
  const host = registryKey(input.registry);
  const stateFile = setupStateFile(input.paths);
  const state = await readSetupState(stateFile);
  const locations: Target[] = locateAuthFiles(input.env, input.cwd);
  const selected = state.entries.filter((e) => input.all === true || e.registry === host);
  if (input.undo) locations.push(...recordedElsewhere(selected, locations));

  const plans: Plan[] = [];
  const reports: FileReport[] = [];
  const targets = new Map<string, string>();
  for (const location of locations) {
    if (location.path === null) {
      reports.push(
        blankReport(
          location,
          'skipped',
          `${location.source}; podman, skopeo and buildah also read Docker's config.json`,
        ),
      );
      continue;
    }
    if (input.credsStore === true && !input.undo && location.kind !== 'docker') {
      reports.push(
        blankReport(location, 'skipped', 'podman, skopeo and buildah read credHelpers only, not credsStore'),
      );
      continue;
    }
    const file = await readJsonObjectFile(location.path);
    const sameAs = targets.get(file.target);
    if (sameAs !== undefined) {
      reports.push(blankReport(location, 'same-file', `same file as ${sameAs}`));
      continue;
    }
    targets.set(file.target, location.path);
    const plan = input.undo
      ? planUndo(file, location.kind, host, input.all === true, selected)
      : planSetup(file, location.kind, host, input.credsStore === true, await createdTop(file));
    plans.push(plan);
    reports.push(...plan.reports);
  }

  const credential = singleCredential(plans, host);
  let nextState = state;
  for (const plan of plans) for (const u of plan.updates) nextState = withEntry(nextState, u.slot, u.entry);
  nextState = inheritFromDropped(state, nextState, plans);
  const changes: FileChange[] = [];
  for (const plan of plans) changes.push(...(await fileChanges(plan, state)));
  if (JSON.stringify(nextState) !== JSON.stringify(state)) changes.push(stateChange(stateFile, nextState));

  if (credential !== null) await save(input, host, credential.credential, credential.files);
  await applyChanges(changes);
  for (const plan of plans) {
    if (plan.deleteUpTo !== null && plan.deleteUpTo !== plan.file.path)
      await removeEmptyDirs(dirname(plan.file.path), plan.deleteUpTo);
  }

  for (const report of reports) for (const line of describeFileReport(report, host)) input.log(line);
  if (input.undo)
    input.log(
      'undo does not write secrets back into files: a credential setup moved into the store stays there (logout --forget-all removes it)',
    );
  return { registry: host, undo: input.undo, stateFile, changed: changes.length > 0, files: reports };
}

function planSetup(
  file: JsonObjectFile,
  kind: FileReport['kind'],
  host: string,
  credsStore: boolean,
  created: string | undefined,
): Plan {
  const before = credsStore ? readCredsStore(file.value, file.path) : readHelper(file.value, host, file.path);
  const plaintext = findPlaintextAuths(file.value, host, file.path);
  const next = cloneJson(file.value);
  const wire = before !== HELPER_NAME;
  if (wire && credsStore) next.credsStore = HELPER_NAME;
  else if (wire) writeHelper(next, host, HELPER_NAME, false);
  removeAuths(next, plaintext.keys);
  const report = fileReport(
    kind,
    file.path,
    keyName(credsStore, host),
    wire ? 'wired' : 'already-wired',
    before,
    HELPER_NAME,
  );
  report.movedCredential = plaintext.credential !== null;
  const entry: SetupStateEntry = {
    registry: host,
    file: file.path,
    ...(credsStore ? { key: 'credsStore' as const } : {}),
    previous: before,
    hadCredHelpers: file.value.credHelpers !== undefined,
    ...(created !== undefined ? { created } : {}),
  };
  return {
    file,
    next,
    changed: wire || plaintext.keys.length > 0,
    reports: [report],
    credential: plaintext.credential,
    movedKeys: plaintext.keys,
    updates: wire ? [{ slot: entry, entry }] : [],
    deleteUpTo: null,
  };
}

/**
 * Undoes, in one file, the recorded entries (`selected`) for it, and `credHelpers[host] = "eidf"` even
 * without an entry (setup run with another state folder) unless `all`. A key no longer "eidf" is left
 * as it is (someone changed it since), but its entry is dropped.
 */
function planUndo(
  file: JsonObjectFile,
  kind: FileReport['kind'],
  host: string,
  all: boolean,
  selected: SetupStateEntry[],
): Plan {
  const entries = selected.filter((e) => e.file === file.path);
  const next = cloneJson(file.value);
  const reports: FileReport[] = [];
  let changed = false;
  const helperTargets: Array<{ registry: string; entry: SetupStateEntry | undefined }> = entries
    .filter((e) => e.key === undefined)
    .map((e) => ({ registry: e.registry, entry: e }));
  if (!all && !helperTargets.some((t) => t.registry === host)) helperTargets.push({ registry: host, entry: undefined });
  const dropCreatedHelpers = entries.some((e) => e.key === undefined && !e.hadCredHelpers);
  for (const { registry, entry } of helperTargets) {
    const before = readHelper(file.value, registry, file.path);
    const ours = before === HELPER_NAME;
    const after = ours ? (entry?.previous ?? null) : before;
    if (ours) writeHelper(next, registry, after, dropCreatedHelpers);
    changed ||= ours;
    const report = fileReport(kind, file.path, keyName(false, registry), undoAction(ours, after), before, after);
    if (!ours)
      report.note =
        before === null
          ? `no credHelpers entry for ${registry}`
          : `credHelpers["${registry}"] is "${before}", not "${HELPER_NAME}"`;
    reports.push(report);
  }
  for (const entry of entries.filter((e) => e.key === 'credsStore')) {
    const before = readCredsStore(file.value, file.path);
    const ours = before === HELPER_NAME;
    const after = ours ? entry.previous : before;
    if (ours && after === null) delete next.credsStore;
    else if (ours) next.credsStore = after;
    changed ||= ours;
    const report = fileReport(kind, file.path, 'credsStore', undoAction(ours, after), before, after);
    if (!ours) report.note = before === null ? 'no credsStore' : `credsStore is "${before}", not "${HELPER_NAME}"`;
    reports.push(report);
  }
  const created = entries.find((e) => e.created !== undefined)?.created;
  const deleteUpTo = created !== undefined && file.original !== null && holdsNothing(next) ? created : null;
  if (deleteUpTo !== null && reports[0] !== undefined) reports[0].deletedFile = true;
  return {
    file,
    next,
    changed: changed || deleteUpTo !== null,
    reports,
    credential: null,
    movedKeys: [],
    updates: entries.map((e) => ({ slot: e, entry: null })),
    deleteUpTo,
  };
}

function undoAction(ours: boolean, after: string | null): FileAction {
  return !ours ? 'left-as-is' : after === null ? 'removed' : 'restored';
}

function keyName(credsStore: boolean, host: string): string {
  return credsStore ? 'credsStore' : `credHelpers["${host}"]`;
}

/** `credsStore`, or null when there is none (an empty string counts as none, as for Docker). */
function readCredsStore(config: JsonObject, file: string): string | null {
  const value = config.credsStore;
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string')
    throw new EidfError('CONFIG_INVALID', `${file}: credsStore must be a string; nothing was changed`);
  return value;
}

/** The file is one setup created and holds nothing but setup's own keys: a backup would keep nothing of the user's. */
function onlyOurs(file: JsonObjectFile, state: SetupState): boolean {
  if (!state.entries.some((e) => e.file === file.path && e.created !== undefined)) return false;
  const rest = cloneJson(file.value);
  if (rest.credsStore === HELPER_NAME) delete rest.credsStore;
  const helpers = rest.credHelpers;
  if (isJsonObject(helpers))
    for (const [key, value] of Object.entries(helpers)) if (value === HELPER_NAME) delete helpers[key];
  return holdsNothing(rest);
}

/** Nothing but empty `credHelpers` and `auths` entries without anything in them (what Docker writes next to helpers). */
function holdsNothing(config: JsonObject): boolean {
  return Object.entries(config).every(([key, value]) => {
    if (!isJsonObject(value)) return false;
    if (key === 'credHelpers') return Object.keys(value).length === 0;
    if (key === 'auths') return Object.values(value).every((v) => isJsonObject(v) && Object.keys(v).length === 0);
    return false;
  });
}

/**
 * An entry undo dropped may have carried what the file's remaining entries need: that setup created
 * the file, or the `credHelpers` object. The first remaining entry of that file takes it over.
 */
function inheritFromDropped(before: SetupState, after: SetupState, plans: Plan[]): SetupState {
  const deleted = new Set(plans.filter((p) => p.deleteUpTo !== null).map((p) => p.file.path));
  const entries = after.entries.map((e) => ({ ...e }));
  for (const dropped of before.entries.filter((e) => !after.entries.includes(e) && !deleted.has(e.file))) {
    const heir = entries.find((e) => e.file === dropped.file);
    if (heir === undefined) continue;
    if (dropped.created !== undefined) heir.created ??= dropped.created;
    if (dropped.key === undefined && !dropped.hadCredHelpers) {
      const helperHeir = entries.find((e) => e.file === dropped.file && e.key === undefined);
      if (helperHeir !== undefined) helperHeir.hadCredHelpers = false;
    }
  }
  return { version: 1, entries };
}

/** For a file that does not exist: the topmost missing path on the way to it (itself or a folder). */
async function createdTop(file: JsonObjectFile): Promise<string | undefined> {
  if (file.original !== null || file.target !== file.path) return undefined;
  let top = file.path;
  for (let dir = dirname(top); dir !== dirname(dir) && !(await exists(dir)); dir = dirname(dir)) top = dir;
  return top;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Files the state file recorded for the selected entries that the current settings do not name. */
function recordedElsewhere(selected: SetupStateEntry[], locations: Target[]): Target[] {
  const named = new Set(locations.map((l) => l.path));
  const files = [...new Set(selected.map((e) => e.file))].filter((f) => !named.has(f));
  return files.map((file) => ({ kind: 'recorded', path: file, source: 'setup state' }));
}
/** The one credential to move; files that disagree are refused rather than guessed between. */
function singleCredential(plans: Plan[], host: string): { credential: RegistryCredential; files: string[] } | null {
  const holders = plans.filter((p) => p.credential !== null);
  const first = holders[0];
  if (first === undefined) return null;
  for (const other of holders.slice(1)) {
    if (
      other.credential!.Username !== first.credential!.Username ||
      other.credential!.Secret !== first.credential!.Secret
    ) {
      throw new EidfError(
        'CONFIG_INVALID',
        `${first.file.path} and ${other.file.path} hold different credentials for ${host}; remove the stale one and run setup again; nothing was changed`,
      );
    }
  }
  return { credential: first.credential!, files: holders.map((p) => p.file.path) };
}

async function save(input: SetupInput, host: string, credential: RegistryCredential, files: string[]): Promise<void> {
  try {
    await input.saveCredential(host, credential);
  } catch (err) {
    const code = err instanceof EidfError ? err.code : 'INTERNAL';
    throw new EidfError(
      code,
      `could not move the ${host} credential from ${files.join(' and ')} into the store: ${oneLine(err)}; nothing was changed`,
      {
        cause: err,
      },
    );
  }
}

async function fileChanges(plan: Plan, state: SetupState): Promise<FileChange[]> {
  if (!plan.changed) return [];
  const { file } = plan;
  // A file setup created and that holds nothing else goes; its content was ours, so no backup.
  if (plan.deleteUpTo !== null) return [{ path: file.target, remove: true }];
  const changes: FileChange[] = [];
  if (file.original !== null && !onlyOurs(file, state)) {
    // The backup must not keep the secret that was just moved into the store.
    let content: string | Buffer = file.original;
    if (plan.movedKeys.length > 0) {
      const stripped = cloneJson(file.value);
      removeAuths(stripped, plan.movedKeys);
      content = formatJson(stripped, file.style);
    }
    const backup = await nextBackupFor(file.path, content);
    if (backup !== null) {
      plan.reports[0].backup = backup;
      changes.push({ path: backup, content, mode: 0o600 });
    }
  }
  changes.push({ path: file.target, content: formatJson(plan.next, file.style), mode: file.mode });
  return changes;
}

function stateChange(path: string, state: SetupState): FileChange {
  if (state.entries.length === 0) return { path, remove: true };
  return { path, content: formatJson(state, { indent: '  ', trailingNewline: true }), mode: 0o600 };
}

function fileReport(
  kind: FileReport['kind'],
  file: string,
  key: string,
  action: FileAction,
  before: string | null,
  after: string | null,
): FileReport {
  return {
    kind,
    file,
    key,
    action,
    helperBefore: before,
    helperAfter: after,
    movedCredential: false,
    deletedFile: false,
    backup: null,
    note: null,
  };
}

function blankReport(location: Target, action: FileAction, note: string): FileReport {
  return { ...fileReport(location.kind, location.path ?? '', '', action, null, null), file: location.path, note };
}
