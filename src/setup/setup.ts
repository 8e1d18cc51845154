/**
 * `setup` and `setup --undo`: wire `credHelpers[<registry host>] = "eidf"` into Docker's config.json
 * and the containers auth.json (see `auth-files.ts` for which files), or put back what was there.
 *
 * Never `credsStore`: podman ignores it and Docker would send every registry to this helper.
 * Setup moves a plaintext `auths` secret for the registry into the store (through `saveCredential`)
 * and removes it from the file only after the store accepted it. Entries without a secret (the `{}`
 * `docker login` writes next to credHelpers) are left alone: they hold nothing, and Docker rewrites them.
 *
 * Every file is read and checked before any is written; then all edits are applied or none
 * (`applyChanges`). A run that has nothing to do writes nothing. Before a file is edited, its previous
 * content goes to `<file>.eidf-backup` (0600, refreshed on every edit, so it is the file as it was just
 * before the last edit) — without the moved secret: secrets live only in the store. Undo restores the
 * wiring recorded in `setup-state.json`, never a secret.
 */

import { EidfError, oneLine } from '../core/errors.ts';
import { registryKey } from '../core/registry-url.ts';
import type { Env, Paths } from '../config.ts';
import { applyChanges, type FileChange } from './atomic-write.ts';
import { backupFileFor, locateAuthFiles, setupStateFile, type AuthFileLocation } from './auth-files.ts';
import {
  findPlaintextAuths,
  HELPER_NAME,
  readHelper,
  removeAuths,
  writeHelper,
  type PlaintextCredential,
} from './auth-entries.ts';
import { cloneJson, formatJson, readJsonObjectFile, type JsonObject, type JsonObjectFile } from './json-file.ts';
import { findEntry, readSetupState, withEntry, type SetupState, type SetupStateEntry } from './setup-state.ts';
import { describeFileReport, type FileAction, type FileReport, type SetupReport } from './setup-report.ts';

export type { FileAction, FileReport, SetupReport } from './setup-report.ts';

export interface SetupInput {
  /** Registry host or URL; normalised with `registryKey`. */
  registry: string;
  undo: boolean;
  env: Env;
  paths: Paths;
  /** Folder relative DOCKER_CONFIG / REGISTRY_AUTH_FILE / XDG_RUNTIME_DIR are resolved against; without it they are refused. */
  cwd?: string;
  /** Puts a credential into the product's store (the agent). Only called by setup, before any file is written. */
  saveCredential(registry: string, username: string, secret: string): Promise<void>;
  /** One line for people (stderr). */
  log(line: string): void;
}

/** A file to handle: one of `locateAuthFiles`, or one only the state file names. */
type Target = Omit<AuthFileLocation, 'kind'> & { kind: FileReport['kind'] };

interface Plan {
  file: JsonObjectFile;
  next: JsonObject;
  changed: boolean;
  report: FileReport;
  credential: PlaintextCredential | null;
  movedKeys: string[];
  /** undefined: leave the state entry; null: drop it; else: record it. */
  stateEntry: SetupStateEntry | null | undefined;
}

/** Runs setup (or undo) for one registry. Throws a one-line EidfError naming the file; then nothing was changed. */
export async function runSetup(input: SetupInput): Promise<SetupReport> {
  const host = registryKey(input.registry);
  const stateFile = setupStateFile(input.paths);
  const state = await readSetupState(stateFile);
  const locations: Target[] = locateAuthFiles(input.env, input.cwd);
  if (input.undo) locations.push(...recordedElsewhere(state, host, locations));

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
    const file = await readJsonObjectFile(location.path);
    const sameAs = targets.get(file.target);
    if (sameAs !== undefined) {
      reports.push(blankReport(location, 'same-file', `same file as ${sameAs}`));
      continue;
    }
    targets.set(file.target, location.path);
    const plan = input.undo ? planUndo(file, location.kind, host, state) : planSetup(file, location.kind, host);
    plans.push(plan);
    reports.push(plan.report);
  }

  const credential = singleCredential(plans, host);
  let nextState = state;
  for (const plan of plans) {
    if (plan.stateEntry !== undefined) nextState = withEntry(nextState, host, plan.file.path, plan.stateEntry);
  }
  const changes = plans.flatMap(fileChanges);
  if (JSON.stringify(nextState) !== JSON.stringify(state)) changes.push(stateChange(stateFile, nextState));

  if (credential !== null) await save(input, host, credential.credential, credential.files);
  await applyChanges(changes);

  for (const report of reports) for (const line of describeFileReport(report, host)) input.log(line);
  if (input.undo)
    input.log('credentials moved into the store by setup stay there: undo does not write secrets back into files');
  return { registry: host, undo: input.undo, stateFile, changed: changes.length > 0, files: reports };
}

function planSetup(file: JsonObjectFile, kind: FileReport['kind'], host: string): Plan {
  const before = readHelper(file.value, host, file.path);
  const plaintext = findPlaintextAuths(file.value, host, file.path);
  const next = cloneJson(file.value);
  const wire = before !== HELPER_NAME;
  if (wire) writeHelper(next, host, HELPER_NAME, false);
  removeAuths(next, plaintext.keys);
  const report = fileReport(kind, file.path, wire ? 'wired' : 'already-wired', before, HELPER_NAME);
  report.movedCredential = plaintext.credential !== null;
  return {
    file,
    next,
    changed: wire || plaintext.keys.length > 0,
    report,
    credential: plaintext.credential,
    movedKeys: plaintext.keys,
    stateEntry: wire
      ? { registry: host, file: file.path, previous: before, hadCredHelpers: file.value.credHelpers !== undefined }
      : undefined,
  };
}

function planUndo(file: JsonObjectFile, kind: FileReport['kind'], host: string, state: SetupState): Plan {
  const before = readHelper(file.value, host, file.path);
  const entry = findEntry(state, host, file.path);
  const next = cloneJson(file.value);
  const ours = before === HELPER_NAME;
  const after = ours ? (entry?.previous ?? null) : before;
  if (ours) writeHelper(next, host, after, entry !== undefined && !entry.hadCredHelpers);
  const action: FileAction = !ours ? 'left-as-is' : after === null ? 'removed' : 'restored';
  const report = fileReport(kind, file.path, action, before, after);
  if (!ours)
    report.note =
      before === null
        ? `no credHelpers entry for ${host}`
        : `credHelpers["${host}"] is "${before}", not "${HELPER_NAME}"`;
  return {
    file,
    next,
    changed: ours,
    report,
    credential: null,
    movedKeys: [],
    stateEntry: entry === undefined ? undefined : null,
  };
}

/** Files the state file recorded for this registry that the current settings do not name. */
function recordedElsewhere(state: SetupState, host: string, locations: Target[]): Target[] {
  const named = new Set(locations.map((l) => l.path));
  return state.entries
    .filter((e) => e.registry === host && !named.has(e.file))
    .map((e) => ({ kind: 'recorded', path: e.file, source: 'setup state' }));
}

/** The one credential to move; files that disagree are refused rather than guessed between. */
function singleCredential(plans: Plan[], host: string): { credential: PlaintextCredential; files: string[] } | null {
  const holders = plans.filter((p) => p.credential !== null);
  const first = holders[0];
  if (first === undefined) return null;
  for (const other of holders.slice(1)) {
    if (
      other.credential!.username !== first.credential!.username ||
      other.credential!.secret !== first.credential!.secret
    ) {
      throw new EidfError(
        'CONFIG_INVALID',
        `${first.file.path} and ${other.file.path} hold different credentials for ${host}; remove the stale one and run setup again; nothing was changed`,
      );
    }
  }
  return { credential: first.credential!, files: holders.map((p) => p.file.path) };
}

async function save(input: SetupInput, host: string, credential: PlaintextCredential, files: string[]): Promise<void> {
  try {
    await input.saveCredential(host, credential.username, credential.secret);
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

function fileChanges(plan: Plan): FileChange[] {
  if (!plan.changed) return [];
  const { file } = plan;
  const changes: FileChange[] = [];
  if (file.original !== null) {
    // The backup must not keep the secret that was just moved into the store.
    let content: string | Buffer = file.original;
    if (plan.movedKeys.length > 0) {
      const stripped = cloneJson(file.value);
      removeAuths(stripped, plan.movedKeys);
      content = formatJson(stripped, file.style);
    }
    plan.report.backup = backupFileFor(file.path);
    changes.push({ path: plan.report.backup, content, mode: 0o600 });
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
  action: FileAction,
  before: string | null,
  after: string | null,
): FileReport {
  return {
    kind,
    file,
    action,
    helperBefore: before,
    helperAfter: after,
    movedCredential: false,
    backup: null,
    note: null,
  };
}

function blankReport(location: Target, action: FileAction, note: string): FileReport {
  return { ...fileReport(location.kind, location.path ?? '', action, null, null), file: location.path, note };
}
