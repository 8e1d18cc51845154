import { EidfError } from '../core/errors.ts';
import { goJson } from '../core/go-json.ts';
import type { RegistryCredential } from '../core/ports.ts';

/**
 * The bytes of a `.dockerconfigjson`, identical to what
 * `kubectl create secret docker-registry --docker-server=S --docker-username=U --docker-password=P` puts in
 * the Secret (`server` is used verbatim as the key under `auths`, as `--docker-server` is, no normalisation;
 * the credential's Secret is the password): compact JSON `{"auths":{"<S>":{"username":U,"password":P,"auth":base64("U:P")}}}`, keys in
 * that order, strings escaped the way Go's encoding/json escapes them. Pure; reads and writes nothing.
 * Throws EidfError('USAGE') for an empty field, a ':' in the username, or text that is not valid Unicode.
 */
export function renderDockerConfigJson(server: string, credential: RegistryCredential): string {
  checkLogin(server, credential);
  const { Username: username, Secret: password } = credential;
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  const entry = `{"username":${goJson(username)},"password":${goJson(password)},"auth":${goJson(auth)}}`;
  return `{"auths":{${goJson(server)}:${entry}}}`;
}

function checkLogin(server: string, credential: RegistryCredential): void {
  const fields = { server, username: credential.Username, password: credential.Secret };
  for (const [field, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || value === '') throw new EidfError('USAGE', `registry ${field} must not be empty`);
    // A lone UTF-16 surrogate has no UTF-8 form: the base64 `auth` and the JSON would disagree.
    if (!value.isWellFormed()) throw new EidfError('USAGE', `registry ${field} is not valid Unicode text`);
  }
  // Docker splits `auth` at the first ':', so a username with ':' could never log in.
  if (credential.Username.includes(':')) throw new EidfError('USAGE', 'registry username must not contain ":"');
}
