import type { AuthFileKind } from './auth-files.ts';
import { HELPER_NAME } from './auth-entries.ts';

/** What `runSetup` did, per file, for the CLI to print on stderr. */
export type FileAction = 'wired' | 'already-wired' | 'restored' | 'removed' | 'left-as-is' | 'skipped' | 'same-file';

export interface FileReport {
  /** `recorded`: a file only the state file knows about (setup ran with other settings). */
  kind: AuthFileKind | 'recorded';
  /** The file as named; null when skipped. */
  file: string | null;
  /** The key this report is about: `credHelpers["<host>"]` or `credsStore`. */
  key: string;
  action: FileAction;
  helperBefore: string | null;
  helperAfter: string | null;
  /** A plaintext `auths` secret for the registry was moved into the store and removed from this file. */
  movedCredential: boolean;
  /** Undo deleted the file: setup had created it, and it held nothing else. */
  deletedFile: boolean;
  /** The backup written by this run, if any. */
  backup: string | null;
  /** Why a file was skipped or left as it is. */
  note: string | null;
}

export interface SetupReport {
  registry: string;
  undo: boolean;
  stateFile: string;
  /** Whether any file was written. */
  changed: boolean;
  files: FileReport[];
}

/** The lines for people that say what was done to one file (no secrets: hosts, paths and helper names only). */
export function describeFileReport(report: FileReport, host: string): string[] {
  const name = report.file ?? `${report.kind} auth file`;
  const quote = (v: string | null) => (v === null ? 'none' : `"${v}"`);
  const key = report.key;
  const lines: string[] = [];
  switch (report.action) {
    case 'wired':
      lines.push(`${name}: set ${key} = "${HELPER_NAME}" (was ${quote(report.helperBefore)})`);
      break;
    case 'already-wired':
      lines.push(`${name}: ${key} is already "${HELPER_NAME}"`);
      break;
    case 'restored':
      lines.push(`${name}: restored ${key} = ${quote(report.helperAfter)}`);
      break;
    case 'removed':
      lines.push(`${name}: removed ${key}`);
      break;
    case 'skipped':
      lines.push(`${name}: skipped (${report.note})`);
      break;
    default:
      lines.push(`${name}: left as it is (${report.note})`);
  }
  if (report.deletedFile) lines.push(`${name}: deleted (setup had created it and it held nothing else)`);
  if (report.movedCredential)
    lines.push(`${name}: moved the plaintext credential for ${host} into the store and removed it from the file`);
  if (report.backup !== null) {
    lines.push(
      `${name}: previous content saved in ${report.backup} (0600${report.movedCredential ? ', without the moved secret' : ''})`,
    );
  }
  return lines;
}
