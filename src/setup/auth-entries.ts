import { EidfError } from '../core/errors.ts';
import type { RegistryCredential } from '../core/ports.ts';
import { registryKey } from '../core/registry-url.ts';
import { isJsonObject, type JsonObject } from './json-file.ts';

/**
 * Pure reading and editing of the two keys `setup` touches in a Docker config.json or a
 * containers auth.json: `credHelpers[<host>]` and the plaintext `auths` entries for `<host>`.
 * Every other key is left exactly where it is. Errors name the file and never quote a secret.
 */

/** The helper name Docker turns into `docker-credential-eidf`. */
export const HELPER_NAME = 'eidf';

/** The username Docker's native stores use for an OAuth identity token. */
export const IDENTITY_TOKEN_USERNAME = '<token>';

/** The `auths` entries for one registry that hold a secret, and that secret. */
export interface PlaintextAuths {
  /** Keys of `auths` (as written in the file) whose entries hold the secret. */
  keys: string[];
  credential: RegistryCredential | null;
}

/** The current `credHelpers[host]`, or null when there is none. */
export function readHelper(config: JsonObject, host: string, file: string): string | null {
  const helpers = config.credHelpers;
  if (helpers === undefined) return null;
  if (!isJsonObject(helpers)) throw invalid(file, 'credHelpers must be a JSON object');
  if (!Object.hasOwn(helpers, host)) return null;
  const value = helpers[host];
  if (typeof value !== 'string') throw invalid(file, `credHelpers["${host}"] must be a string`);
  return value;
}

/**
 * Sets `credHelpers[host]` (`helper` = null removes it). A new `credHelpers` object is appended
 * after the existing keys; an emptied one is removed only when `dropIfEmpty` (we created it).
 */
export function writeHelper(config: JsonObject, host: string, helper: string | null, dropIfEmpty: boolean): void {
  const existing = config.credHelpers;
  const helpers: JsonObject = isJsonObject(existing) ? existing : {};
  if (helper === null) delete helpers[host];
  else helpers[host] = helper;
  if (dropIfEmpty && Object.keys(helpers).length === 0) delete config.credHelpers;
  else config.credHelpers = helpers;
}

/**
 * Finds the `auths` entries that name `host` in any spelling Docker accepts (`host`, `https://host`,
 * `http://host/`, `https://host/v2/`) and hold a secret: `identitytoken` (moved as username
 * `<token>`), else `auth` (base64 `user:password`), else `username` + `password`.
 * Entries without a secret (`{}` as `docker login` writes next to credHelpers) are not listed.
 * Throws CONFIG_INVALID when such an entry is malformed or when entries disagree.
 */
export function findPlaintextAuths(config: JsonObject, host: string, file: string): PlaintextAuths {
  const auths = config.auths;
  if (auths === undefined) return { keys: [], credential: null };
  if (!isJsonObject(auths)) throw invalid(file, 'auths must be a JSON object');
  const keys: string[] = [];
  let credential: RegistryCredential | null = null;
  for (const [key, entry] of Object.entries(auths)) {
    if (!namesHost(key, host)) continue;
    if (!isJsonObject(entry)) throw invalid(file, `auths["${key}"] must be a JSON object`);
    const found = entryCredential(entry, `auths["${key}"]`, file);
    if (found === null) continue;
    if (credential !== null && (credential.Username !== found.Username || credential.Secret !== found.Secret)) {
      throw invalid(file, `auths holds different credentials for ${host}; keep one entry and run setup again`);
    }
    credential = found;
    keys.push(key);
  }
  return { keys, credential };
}

/** Removes the given `auths` keys; `auths` itself stays, even when empty (Docker writes `"auths": {}`). */
export function removeAuths(config: JsonObject, keys: readonly string[]): void {
  const auths = config.auths;
  if (!isJsonObject(auths)) return;
  for (const key of keys) delete auths[key];
}

function namesHost(key: string, host: string): boolean {
  try {
    return registryKey(key) === host;
  } catch {
    return false;
  }
}

function entryCredential(entry: JsonObject, where: string, file: string): RegistryCredential | null {
  const field = (name: string): string => {
    const value = entry[name];
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw invalid(file, `${where}.${name} must be a string`);
    return value;
  };
  const identityToken = field('identitytoken');
  if (identityToken !== '') return { Username: IDENTITY_TOKEN_USERNAME, Secret: identityToken };
  const auth = field('auth');
  if (auth !== '') {
    const decoded = decodeAuth(auth);
    if (decoded === null) throw invalid(file, `${where}.auth is not base64 of "user:password"`);
    if (decoded.Secret === '') return null;
    if (decoded.Username === '') throw invalid(file, `${where}.auth has a password but no username`);
    return decoded;
  }
  const password = field('password');
  if (password === '') return null;
  const username = field('username');
  if (username === '') throw invalid(file, `${where} has a password but no username`);
  return { Username: username, Secret: password };
}

/** Docker's `decodeAuth`: strict standard base64 of `user:password`, split at the first colon. */
function decodeAuth(auth: string): RegistryCredential | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || auth.length % 4 !== 0) return null;
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { Username: text.slice(0, colon), Secret: text.slice(colon + 1) };
}

function invalid(file: string, problem: string): EidfError {
  return new EidfError('CONFIG_INVALID', `${file}: ${problem}; nothing was changed`);
}
