import { lstat } from 'node:fs/promises';
import { EidfError, errnoCode } from '../core/errors.ts';
import { writeFileAtomic } from '../platform/atomic-file.ts';

/** Permission bits of a file holding a secret: read and write for its owner only. */
export const SECRET_FILE_MODE = 0o600;

/**
 * Writes `content` (a rendered Secret, for `--output-file`) to `path` with mode 0600, atomically: a
 * temp file in the same folder (created 0600, so the secret is never readable by others), fsynced, then
 * renamed over `path`. Replaces an existing regular file; refuses a symlink at `path` rather than write
 * the secret wherever it points. Does not create folders. No temp file is left behind on failure.
 * Throws EidfError('USAGE') in one line naming the path (never the content).
 */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  const existing = await lstat(path).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw writeError(path, err);
  });
  if (existing?.isSymbolicLink())
    throw new EidfError('USAGE', `refusing to write the secret to ${path}: it is a symlink`);
  if (existing !== null && !existing.isFile())
    throw new EidfError('USAGE', `cannot write ${path}: it is not a regular file`);

  try {
    // rename replaces a symlink that appeared since the check instead of following it.
    await writeFileAtomic(path, content, SECRET_FILE_MODE);
  } catch (err) {
    throw writeError(path, err);
  }
}

function writeError(path: string, err: unknown): EidfError {
  const code = errnoCode(err);
  const reason =
    code === 'ENOENT'
      ? 'its folder does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'ENOTDIR'
            ? 'a parent is not a folder'
            : (code ?? 'unexpected error');
  return new EidfError('USAGE', `cannot write ${path}: ${reason}`, { cause: err });
}
