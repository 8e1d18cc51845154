/**
 * Which URLs a setting may hold: `https:` anywhere, `http:` only on loopback hosts and only when
 * allowed (EIDF_ALLOW_INSECURE_LOOPBACK), never a user name or password, never spaces around it.
 * Shared by the configuration, the OIDC client and doctor; a refusal is CONFIG_INVALID naming the setting.
 */
import { EidfError } from './errors.ts';

/** Refuses a URL setting with spaces around it (a copy-paste slip that would otherwise be kept). */
export function checkPlain(name: string, value: string): void {
  if (value !== value.trim()) throw invalidSetting(name, 'has spaces or line breaks around it; remove them');
}

/**
 * `https:` anywhere; `http:` only for loopback hosts and only when explicitly allowed.
 * Throws CONFIG_INVALID naming the setting `name`.
 */
export function checkUrl(name: string, value: string, allowInsecureLoopback: boolean): void {
  checkPlain(name, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidSetting(name, 'must be a URL');
  }
  // Never kept (status and logs show these URLs); the message does not repeat the value.
  if (url.username !== '' || url.password !== '')
    throw invalidSetting(name, 'must not contain a user name or password');
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw invalidSetting(name, 'must be an https:// URL');
  if (!isLoopbackHost(url.hostname))
    throw invalidSetting(name, 'must be an https:// URL (http:// is allowed only for loopback hosts)');
  if (!allowInsecureLoopback)
    throw invalidSetting(name, 'is http://; set EIDF_ALLOW_INSECURE_LOOPBACK=1 to allow that on loopback');
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** The one shape of a refused setting: `invalid configuration: <setting> <problem>`. */
export function invalidSetting(setting: string, problem: string): EidfError {
  return new EidfError('CONFIG_INVALID', `invalid configuration: ${setting} ${problem}`);
}
