import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EidfError } from '../core/errors.ts';

/**
 * Makes sure the agent's folder is private: a real directory (not a symlink), owned by `uid`,
 * mode 0700. Creates it (and missing parents, 0700) when absent. Refuses anything else, since a
 * socket in a folder someone else controls could be swapped for theirs.
 */
export function prepareRuntimeDir(dir: string, uid: number): void {
  let stats = lstatOrUndefined(dir);
  if (!stats) {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    stats = lstatSync(dir);
  }
  if (stats.isSymbolicLink()) throw new EidfError('AGENT_UNSAFE', `refusing to use ${dir}: it is a symlink`);
  if (!stats.isDirectory()) throw new EidfError('AGENT_UNSAFE', `refusing to use ${dir}: it is not a directory`);
  if (stats.uid !== uid) throw new EidfError('AGENT_UNSAFE', `refusing to use ${dir}: it is owned by uid ${stats.uid}, not ${uid}`);
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
