import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { TestContext } from 'node:test';
import { resolvePaths, type Paths } from '../../src/config.ts';
import { runSetup, type SetupReport } from '../../src/setup/setup.ts';

/** A temp home for `runSetup`: Docker's folder, a runtime folder, the product's folder; cleaned up after the test. */
export interface SetupRig {
  dir: string;
  env: Record<string, string>;
  paths: Paths;
  dockerFile: string;
  authFile: string;
  stateFile: string;
  saved: Array<{ registry: string; username: string; secret: string }>;
  lines: string[];
  /** Fails `saveCredential` when set. */
  failSave: Error | null;
  run(options?: {
    undo?: boolean;
    all?: boolean;
    credsStore?: boolean;
    registry?: string;
    env?: Record<string, string>;
  }): Promise<SetupReport>;
}

export const HOST = 'registry.example.org';

export async function setupRig(t: TestContext): Promise<SetupRig> {
  const dir = await mkdtemp(join(tmpdir(), 'eidf-setup-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = { HOME: join(dir, 'home'), DOCKER_CONFIG: join(dir, 'docker'), XDG_RUNTIME_DIR: join(dir, 'run') };
  const paths = resolvePaths({ EIDF_HOME: join(dir, 'eidf') }, 1000);
  const rig: SetupRig = {
    dir,
    env,
    paths,
    dockerFile: join(env.DOCKER_CONFIG, 'config.json'),
    authFile: join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'),
    stateFile: join(dir, 'eidf', 'setup-state.json'),
    saved: [],
    lines: [],
    failSave: null,
    run: (options = {}) =>
      runSetup({
        registry: options.registry ?? HOST,
        undo: options.undo ?? false,
        all: options.all ?? false,
        credsStore: options.credsStore ?? false,
        env: options.env ?? rig.env,
        paths,
        cwd: dir,
        saveCredential: async (registry, { Username, Secret }) => {
          if (rig.failSave) throw rig.failSave;
          rig.saved.push({ registry, username: Username, secret: Secret });
        },
        log: (line) => rig.lines.push(line),
      }),
  };
  return rig;
}

/** Writes `text` at `path` (folders made as needed) with `mode`. */
export async function put(path: string, text: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  await chmod(path, mode);
}

export async function text(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

/** Every entry under `dir`: relative path → kind, mode, bytes (and inode: a rewrite changes it). Equal trees = nothing was touched. */
export async function tree(dir: string, inodes = true): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (current: string): Promise<void> => {
    for (const name of (await readdir(current)).sort()) {
      const path = join(current, name);
      const info = await lstat(path);
      const mode = (info.mode & 0o7777).toString(8);
      const key = relative(dir, path);
      if (info.isDirectory()) {
        out[key] = `dir ${mode}`;
        await walk(path);
      } else if (info.isSymbolicLink()) {
        out[key] = `link ${await readlink(path)}`;
      } else {
        out[key] = `file ${mode} ${inodes ? `ino=${info.ino} ` : ''}${(await readFile(path)).toString('base64')}`;
      }
    }
  };
  await walk(dir);
  return out;
}

/** JSON as Docker and containers/image write it: tab-indented, no trailing newline. */
export function tab(value: unknown): string {
  return JSON.stringify(value, null, '\t');
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
