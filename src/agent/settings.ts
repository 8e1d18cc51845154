import type { Config, Env } from '../config.ts';

/**
 * The settings a running agent was started with, and their fingerprint. A command for people
 * sends the fingerprint of its own settings with every request (agent/api.ts); an agent started with
 * other ones restarts (app.ts), so a setting exported after the agent started is not silently
 * ignored. None of these is a secret; a proxy URL may carry a password, so `describe` drops it.
 * Kept free of imports: the helper's `get` path loads this file.
 */

/** The proxy variables the agent honours, in Node's order of precedence (lower case first). */
export const PROXY_VARIABLES = [
  'https_proxy',
  'HTTPS_PROXY',
  'http_proxy',
  'HTTP_PROXY',
  'no_proxy',
  'NO_PROXY',
] as const;

/** Setting name → value, for each setting that changes what the agent does. */
export type AgentSettings = Readonly<Record<string, string>>;

/**
 * The agent's settings from a configuration and an environment. Not here: EIDF_LOGIN_ON_GET (read
 * by the helper, not the agent), EIDF_HOME and the socket path (another socket is another agent).
 */
export function agentSettings(config: Config, env: Env): AgentSettings {
  const settings: Record<string, string> = {
    EIDF_REGISTRY: config.registryUrl,
    EIDF_STORE: config.store,
    EIDF_OIDC_ISSUER: config.oidcIssuer ?? '',
    EIDF_OIDC_CLIENT_ID: config.oidcClientId ?? '',
    EIDF_OIDC_SCOPES: config.oidcScopes,
    EIDF_ALLOW_INSECURE_LOOPBACK: config.allowInsecureLoopback ? '1' : '0',
    EIDF_KEEPALIVE_SECONDS: String(config.keepAliveSeconds),
    EIDF_KEYCHAIN_TIMEOUT_MS: String(config.keychainTimeoutMs),
    EIDF_AGENT_IDLE_SECONDS: String(config.agentIdleSeconds),
    'secrets file': config.paths.fileStore,
  };
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') settings[name] = value;
  }
  return settings;
}

/**
 * A short, stable digest of `settings` (FNV-1a, 2 × 32 bits, over sorted name=value lines). It only
 * tells "same or not" between two processes of one user; it protects nothing, so no crypto.
 */
export function settingsFingerprint(settings: AgentSettings): string {
  const text = Object.keys(settings)
    .sort()
    .map((name) => `${name}=${settings[name]}`)
    .join('\n');
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The settings for people (doctor): proxy URLs without user or password. */
export function describeSettings(settings: AgentSettings): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings))
    shown[name] = /proxy$/i.test(name) && !/^no_proxy$/i.test(name) ? withoutUserinfo(value) : value;
  return shown;
}

/** A proxy URL as it may be shown: `http://user:pw@proxy:3128` → `http://proxy:3128`. */
export function withoutUserinfo(proxy: string): string {
  try {
    const url = new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/**
 * Which proxy the agent uses for `target` under `settings` (as agentSettings records the proxy
 * variables), for people: the proxy without userinfo and the variable naming it, `NO_PROXY` when
 * that list exempts the host, or null when no proxy variable applies. Mirrors Node's rules: lower
 * case first; HTTP_PROXY serves https:// targets when no HTTPS_PROXY is set.
 */
export function proxyFor(
  target: string,
  settings: AgentSettings,
): { proxy: string; variable: string } | 'NO_PROXY' | null {
  const url = new URL(target);
  const names =
    url.protocol === 'https:'
      ? ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']
      : ['http_proxy', 'HTTP_PROXY'];
  const variable = names.find((name) => settings[name] !== undefined);
  if (variable === undefined) return null;
  const noProxy = settings.no_proxy ?? settings.NO_PROXY ?? '';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return 'NO_PROXY';
    const [, name = entry, entryPort] = /^(.*?)(?::(\d+))?$/.exec(entry) ?? [];
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
    if (host === bare || host.endsWith(`.${bare}`)) return 'NO_PROXY';
  }
  return { proxy: withoutUserinfo(settings[variable]), variable };
}
