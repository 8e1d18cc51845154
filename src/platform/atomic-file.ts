import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkPrivateDir } from './private-path.ts';

/** Mode of folders this product creates (Docker's own folder is 0700 as well). */
export const NEW_DIR_MODE = 0o700;

/**
 * Replaces `path` atomically: writes a temp file in the same folder (0600 while written, so a
 * secret is never readable by others), sets `mode`, fsyncs, renames it over `path`, then fsyncs
 * the folder. A symlink at `path` is replaced, not followed. With `createFolders`, missing
 * folders are created 0700 (whatever the umask) and the first one created is returned (for
 * rollback), and the folder is checked to be the user's own and not writable by others (a
 * folder someone else can write could have the file swapped or read). No temp file is
 * left behind on failure; errors are the file system's, for the caller to word.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Buffer,
  mode: number,
  options: { createFolders?: boolean } = {},
): Promise<string | undefined> {
  const dir = dirname(path);
  const created = options.createFolders ? await mkdir(dir, { recursive: true, mode: NEW_DIR_MODE }) : undefined;
  if (options.createFolders) checkOwnFolder(dir, created);
  const temp = join(dir, `.${basename(path)}.eidf-tmp-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(content);
      await handle.chmod(mode); // exact bits, whatever the umask removed
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncFolder(dir);
  return created;
}

/** Makes a rename durable; not every file system supports fsync on a folder, so failures are ignored. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

/** Folders just made get exactly NEW_DIR_MODE; then the file's folder must be ours (CONFIG_INVALID, one line, if not). */
function checkOwnFolder(dir: string, created: string | undefined): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no POSIX owner or mode to check
  if (created !== undefined) {
    for (let d = dir; d.length >= created.length; d = dirname(d)) chmodSync(d, NEW_DIR_MODE);
  }
  checkPrivateDir(dir, { uid, code: 'CONFIG_INVALID' });
}
