import { lstat, readFile } from 'node:fs/promises';
import { platform, userInfo } from 'node:os';
import { EidfError, errnoCode, oneLine } from '../core/errors.ts';
import { oneAtATime } from '../core/one-at-a-time.ts';
import type { SecretStore } from '../core/ports.ts';
import { writeFileAtomic } from '../platform/atomic-file.ts';

/** The file's shape: a version so it can change later, and a flat key → secret map. */
interface SecretsFile {
  version: 1;
  secrets: Record<string, string>;
}

/**
 * Secrets in one JSON file (`paths.fileStore`), opt-in with EIDF_STORE=file.
 *
 * Reads and writes only that file and temporary files beside it. Every write replaces the file
 * atomically (temp file 0600 in the same folder, fsync, rename), creating the folder 0700. The
 * file is refused (STORE_UNAVAILABLE, nothing changed) when it is corrupt, not a regular file,
 * owned by someone else or open to group/others: a secrets file that others could have read or
 * planted is not silently used nor silently "fixed" — the user is told the chmod to run.
 * Operations of one FileStore run one at a time, so concurrent writers in a process lose nothing;
 * there is no lock across processes (only the agent writes it).
 */
export class FileStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly path: string;
  /** Runs `task` after every earlier operation of this store has settled. */
  readonly #serialise = oneAtATime();

  constructor(path: string) {
    this.path = path;
  }

  get(key: string): Promise<string | null> {
    return this.#serialise(async () => (await this.#read())[key] ?? null);
  }

  set(key: string, value: string): Promise<void> {
    return this.#serialise(async () => {
      const secrets = await this.#read();
      secrets[key] = value;
      await this.#write(secrets);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.#serialise(async () => {
      const secrets = await this.#read();
      if (!Object.hasOwn(secrets, key)) return false;
      delete secrets[key];
      await this.#write(secrets);
      return true;
    });
  }

  keys(): Promise<string[]> {
    return this.#serialise(async () => Object.keys(await this.#read()));
  }

  async #read(): Promise<Record<string, string>> {
    let text: string;
    try {
      await this.#checkSafe();
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return Object.create(null) as Record<string, string>;
      throw err instanceof EidfError
        ? err
        : this.#fail(`could not read secrets file ${this.path}: ${oneLine(err)}`, err);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.#fail(`secrets file ${this.path} is not valid JSON; fix or remove it`);
    }
    if (!isSecretsFile(parsed)) {
      throw this.#fail(
        `secrets file ${this.path} does not hold {"version":1,"secrets":{…}} with string values; fix or remove it`,
      );
    }
    return Object.assign(Object.create(null) as Record<string, string>, parsed.secrets);
  }

  async #checkSafe(): Promise<void> {
    const info = await lstat(this.path);
    if (!info.isFile()) throw this.#fail(`secrets file ${this.path} is not a regular file; remove it`);
    if (platform() === 'win32') return; // POSIX modes do not describe access there
    const uid = userInfo().uid;
    if (uid >= 0 && info.uid !== uid) throw this.#fail(`secrets file ${this.path} is owned by another user; remove it`);
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw this.#fail(
        `secrets file ${this.path} is open to group or others (mode ${mode}); run: chmod 600 ${this.path}`,
      );
    }
  }

  async #write(secrets: Record<string, string>): Promise<void> {
    const body: SecretsFile = { version: 1, secrets };
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(body, null, 2)}\n`, 0o600, { createFolders: true });
    } catch (err) {
      throw this.#fail(`could not write secrets file ${this.path}: ${oneLine(err)}`, err);
    }
  }

  #fail(message: string, cause?: unknown): EidfError {
    return new EidfError('STORE_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
  }
}

function isSecretsFile(value: unknown): value is SecretsFile {
  if (typeof value !== 'object' || value === null) return false;
  const { version, secrets } = value as Record<string, unknown>;
  if (version !== 1 || typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) return false;
  return Object.values(secrets).every((v) => typeof v === 'string');
}
