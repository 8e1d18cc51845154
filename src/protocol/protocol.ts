import { EidfError, oneLine } from '../core/errors.ts';
import { goJson } from '../core/go-json.ts';
import { registryKey } from '../core/registry-url.ts';
import type { RegistryCredential } from '../core/ports.ts';

/**
 * The Docker credential-helper protocol (docker/docker-credential-helpers `credentials`), byte
 * for byte: wire keys, canonical messages, one error line on stdout with exit 1.
 * Pure: stdin arrives as bytes, stdout leaves as a string; the helper is injected.
 */

/** The exact text callers (docker, containers/image) recognise as "not logged in". */
export const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
export const PROTOCOL_VERBS = ['store', 'get', 'erase', 'list', 'version'] as const;
export type ProtocolVerb = (typeof PROTOCOL_VERBS)[number];

/** Upper bound on stdin; a credential is a few KiB at most. */
export const MAX_INPUT_BYTES = 64 * 1024;

/** The protocol's `store` input: a registry credential and the server it is for (docker's wire shape). */
export interface Credentials extends RegistryCredential {
  ServerURL: string;
}

/** What the protocol needs from a backend. Registry arguments are already normalised keys. */
export interface CredentialHelper {
  add(registry: string, credentials: Credentials): Promise<void>;
  get(registry: string): Promise<RegistryCredential | null>;
  /** Idempotent: erasing what is not there succeeds (docker logout tries several keys). */
  delete(registry: string): Promise<void>;
  /** Registry key → username. */
  list(): Promise<Record<string, string>>;
}

export interface ProtocolResult {
  stdout: string;
  exitCode: 0 | 1;
}

export function isProtocolVerb(verb: string): verb is ProtocolVerb {
  return (PROTOCOL_VERBS as readonly string[]).includes(verb);
}

export async function handle(
  helper: CredentialHelper,
  verb: ProtocolVerb,
  stdin: Uint8Array,
  versionLine: string,
): Promise<ProtocolResult> {
  try {
    return { stdout: await run(helper, verb, stdin, versionLine), exitCode: 0 };
  } catch (err) {
    const message = err instanceof EidfError && err.code === 'NOT_FOUND' ? NOT_FOUND_MESSAGE : oneLine(err);
    return { stdout: `${message}\n`, exitCode: 1 };
  }
}

async function run(
  helper: CredentialHelper,
  verb: ProtocolVerb,
  stdin: Uint8Array,
  versionLine: string,
): Promise<string> {
  switch (verb) {
    case 'version':
      return `${versionLine}\n`;
    case 'list':
      return encode(await helper.list());
    case 'store': {
      const credentials = parseCredentials(decode(stdin));
      await helper.add(registryKey(credentials.ServerURL), credentials);
      return '';
    }
    case 'get': {
      const serverURL = readServerURL(stdin);
      const found = await helper.get(registryKey(serverURL));
      if (!found) throw new EidfError('NOT_FOUND', NOT_FOUND_MESSAGE);
      return encode({ ServerURL: serverURL, Username: found.Username, Secret: found.Secret });
    }
    case 'erase':
      await helper.delete(registryKey(readServerURL(stdin)));
      return '';
  }
}

function decode(stdin: Uint8Array): string {
  if (stdin.byteLength > MAX_INPUT_BYTES)
    throw new EidfError('BAD_INPUT', `input too large: more than ${MAX_INPUT_BYTES} bytes on stdin`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(stdin);
  } catch {
    throw new EidfError('BAD_INPUT', 'input is not valid UTF-8');
  }
}

function readServerURL(stdin: Uint8Array): string {
  const serverURL = decode(stdin).trim();
  if (serverURL === '') throw new EidfError('BAD_INPUT', 'no credentials server URL');
  return serverURL;
}

/** `store` input: a JSON object with string ServerURL, Username and Secret (docker's messages). */
export function parseCredentials(text: string): Credentials {
  if (text.trim() === '')
    throw new EidfError('BAD_INPUT', 'no credentials on stdin: expected {"ServerURL","Username","Secret"}');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EidfError('BAD_INPUT', 'credentials on stdin are not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EidfError('BAD_INPUT', 'credentials on stdin must be a JSON object');
  }
  const { ServerURL, Username, Secret } = value as Record<string, unknown>;
  if (typeof ServerURL !== 'string' || ServerURL.trim() === '')
    throw new EidfError('BAD_INPUT', 'no credentials server URL');
  if (typeof Username !== 'string' || Username === '') throw new EidfError('BAD_INPUT', 'no credentials username');
  if (Secret !== undefined && typeof Secret !== 'string')
    throw new EidfError('BAD_INPUT', 'credentials Secret must be a string');
  return { ServerURL: ServerURL.trim(), Username, Secret: Secret ?? '' };
}

/** JSON as Go's json.Encoder writes it: HTML-escaped, newline-terminated. */
export function encode(value: unknown): string {
  return `${goJson(value)}\n`;
}
