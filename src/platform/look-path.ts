import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/**
 * Finds a program over `PATH` the way Go's exec.LookPath does for docker and kubectl: the first executable
 * regular file named `name` (on Windows `name.exe`, `.cmd` or `.bat`) in an absolute PATH folder. Relative
 * and empty folders are skipped (Go refuses a program found through them). Reads the file system only.
 */
export async function lookPath(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  const windows = platform === 'win32';
  const names = windows ? ['.exe', '.cmd', '.bat'].map((ext) => name + ext) : [name];
  const folders = (env.PATH ?? env.Path ?? '').split(windows ? ';' : ':');
  for (const folder of folders) {
    if (folder === '' || !isAbsolute(folder)) continue;
    for (const candidate of names.map((file) => join(folder, file))) {
      if (await isExecutableFile(candidate, windows)) return candidate;
    }
  }
  return undefined;
}

async function isExecutableFile(path: string, windows: boolean): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    if (!windows) await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
