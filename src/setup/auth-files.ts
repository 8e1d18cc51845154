import { lstat, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { EidfError, errnoCode } from '../core/errors.ts';
import type { Env, Paths } from '../config.ts';

/**
 * Where the registry tools read `credHelpers` from, decided from the environment only
 * (nothing is read from disk here, except by `nextBackupFor`).
 *
 * - Docker (docker/cli `config.Dir()`): `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
 * - podman/skopeo/buildah (containers/image `getPathToAuth`): `$REGISTRY_AUTH_FILE` (the tools pass it as
 *   `--authfile`, and then read only that file), else `$XDG_RUNTIME_DIR/containers/auth.json`.
 *   Without XDG_RUNTIME_DIR there is no per-user file this product can safely write (containers/image
 *   would use `/run/containers/<uid>/auth.json`, which only root can create), so that file is skipped;
 *   the containers tools then fall back to Docker's config.json, which carries the same wiring.
 */

export type AuthFileKind = 'docker' | 'containers';

export interface AuthFileLocation {
  kind: AuthFileKind;
  /** Absolute path of the file, or null when it is skipped (see `source`). */
  path: string | null;
  /** The setting that chose the path (`DOCKER_CONFIG`, `HOME`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`), or why it is skipped. */
  source: string;
}

/**
 * Docker's config.json and the containers auth.json for this environment, in that order.
 * Relative settings are resolved against `cwd` (Docker does the same); without `cwd` they are refused.
 * Throws CONFIG_INVALID when Docker's config cannot be located at all.
 */
export function locateAuthFiles(env: Env, cwd?: string): AuthFileLocation[] {
  return [locateDockerConfig(env, cwd), locateContainersAuth(env, cwd)];
}

function locateDockerConfig(env: Env, cwd: string | undefined): AuthFileLocation {
  if (nonEmpty(env.DOCKER_CONFIG)) {
    return {
      kind: 'docker',
      path: join(absolute('DOCKER_CONFIG', env.DOCKER_CONFIG, cwd), 'config.json'),
      source: 'DOCKER_CONFIG',
    };
  }
  if (nonEmpty(env.HOME)) {
    return { kind: 'docker', path: join(absolute('HOME', env.HOME, cwd), '.docker', 'config.json'), source: 'HOME' };
  }
  throw new EidfError('CONFIG_INVALID', "cannot tell where Docker's config.json is: set DOCKER_CONFIG or HOME");
}

function locateContainersAuth(env: Env, cwd: string | undefined): AuthFileLocation {
  if (nonEmpty(env.REGISTRY_AUTH_FILE)) {
    return {
      kind: 'containers',
      path: absolute('REGISTRY_AUTH_FILE', env.REGISTRY_AUTH_FILE, cwd),
      source: 'REGISTRY_AUTH_FILE',
    };
  }
  if (nonEmpty(env.XDG_RUNTIME_DIR)) {
    const runtimeDir = absolute('XDG_RUNTIME_DIR', env.XDG_RUNTIME_DIR, cwd);
    return { kind: 'containers', path: join(runtimeDir, 'containers', 'auth.json'), source: 'XDG_RUNTIME_DIR' };
  }
  return { kind: 'containers', path: null, source: 'neither REGISTRY_AUTH_FILE nor XDG_RUNTIME_DIR is set' };
}

/** The file recording what `setup` replaced, next to the product's config file (0600, no secrets). */
export function setupStateFile(paths: Paths): string {
  return join(dirname(paths.configFile), 'setup-state.json');
}

/**
 * Where the `n`th copy of `file` taken before an edit goes, next to the path as named (not a symlink's
 * target): `<file>.eidf-backup`, then `<file>.eidf-backup.1`, `.2`, … Backups are never overwritten.
 */
export function backupFileFor(file: string, n = 0): string {
  return n === 0 ? `${file}.eidf-backup` : `${file}.eidf-backup.${n}`;
}

/**
 * The name for a new backup of `file` holding `content`: the first free one (no earlier backup is
 * replaced), or null when the newest backup already holds exactly these bytes.
 */
export async function nextBackupFor(file: string, content: string | Buffer): Promise<string | null> {
  let newest: string | undefined;
  for (let n = 0; ; n++) {
    const name = backupFileFor(file, n);
    try {
      await lstat(name);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      if (newest !== undefined && (await sameBytes(newest, content))) return null;
      return name;
    }
    newest = name;
  }
}

async function sameBytes(path: string, content: string | Buffer): Promise<boolean> {
  try {
    return (await readFile(path)).equals(Buffer.from(content));
  } catch {
    return false;
  }
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function absolute(setting: string, value: string, cwd: string | undefined): string {
  if (isAbsolute(value)) return resolve(value);
  if (cwd === undefined) throw new EidfError('CONFIG_INVALID', `${setting} must be an absolute path`);
  return resolve(cwd, value);
}
