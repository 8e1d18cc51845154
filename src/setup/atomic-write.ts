import { readFile, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EidfError, errnoCode } from '../core/errors.ts';
import { writeFileAtomic } from '../platform/atomic-file.ts';
import { ioError } from './json-file.ts';

/** One file to replace (atomically, with these permission bits) or to remove. */
export type FileChange = { path: string; content: string | Buffer; mode: number } | { path: string; remove: true };

/**
 * Applies every change or none: on the first failure, the changes already made are undone
 * (previous bytes and mode written back, created files and folders removed) and a one-line
 * CONFIG_INVALID error naming the failing file is thrown.
 */
export async function applyChanges(changes: readonly FileChange[]): Promise<void> {
  const undo: Array<() => Promise<void>> = [];
  for (const change of changes) {
    try {
      const previous = await snapshot(change.path);
      if ('remove' in change) {
        await unlink(change.path).catch((err: unknown) => {
          if (errnoCode(err) !== 'ENOENT') throw err;
        });
      } else {
        const createdDir = await writeFileAtomic(change.path, change.content, change.mode, { createFolders: true });
        if (createdDir !== undefined) undo.push(() => removeEmptyDirs(dirname(change.path), createdDir));
      }
      undo.push(() => restore(change.path, previous));
    } catch (err) {
      const rolledBack = await rollback(undo);
      const failure = err instanceof EidfError ? err : ioError('write', change.path, err);
      const outcome = rolledBack ? 'nothing was changed' : 'some files could not be put back';
      throw new EidfError(failure.code, `${failure.message}; ${outcome}`, { cause: err });
    }
  }
}

type Snapshot = { content: Buffer; mode: number } | null;

async function snapshot(path: string): Promise<Snapshot> {
  try {
    const info = await stat(path);
    return { content: await readFile(path), mode: info.mode & 0o7777 };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

async function restore(path: string, previous: Snapshot): Promise<void> {
  if (previous === null) await rm(path, { force: true });
  else await writeFileAtomic(path, previous.content, previous.mode);
}

async function rollback(undo: Array<() => Promise<void>>): Promise<boolean> {
  let ok = true;
  for (const step of undo.reverse()) {
    try {
      await step();
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** Removes `dir` and its parents up to and including `top`, stopping at the first one not empty. */
export async function removeEmptyDirs(dir: string, top: string): Promise<void> {
  for (let current = dir; current.startsWith(top); current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    if (current === top) return;
  }
}
