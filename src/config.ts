/**
 * Every setting of the product, documented and validated in one place.
 *
 * Each setting is read from the environment first, then from the config file
 * (`<configDir>/config.json`, keys as in `fileKey`), then takes its default. A bad value is a
 * CONFIG_INVALID error that names the setting, raised before any network or keychain access.
 */

import { editDistance } from './core/edit-distance.ts';
import { registryKey } from './core/registry-url.ts';
import { checkPlain, checkUrl, invalidSetting as invalid } from './core/url-policy.ts';
import type { StoreKind } from './core/ports.ts';
import { homeFromPasswd } from './platform/passwd-home.ts';

export interface Config {
  /** EIDF_REGISTRY: the registry host Docker keys credentials by, e.g. `registry.eidf.ac.uk`. */
  registry: string;
  /** Base URL of the registry's Harbor (scheme + host), derived from EIDF_REGISTRY. */
  registryUrl: string;
  /** EIDF_STORE: where secrets live. `auto` = keychain where it works, else memory (with a warning). */
  store: StoreKind | 'auto';
  /** EIDF_OIDC_ISSUER: the OIDC issuer (SAFE) the device login runs against. */
  oidcIssuer: string | undefined;
  /** EIDF_OIDC_CLIENT_ID: the public client the device login uses. */
  oidcClientId: string | undefined;
  /** EIDF_OIDC_SCOPES: scopes asked for at login; must include `openid` and `offline_access`. */
  oidcScopes: string;
  /** EIDF_ALLOW_INSECURE_LOOPBACK=1: allow `http://` issuer and registry URLs on loopback hosts only. */
  allowInsecureLoopback: boolean;
  /** EIDF_LOGIN_ON_GET: `auto` starts a device login from `get` on a terminal; `never` does not. */
  loginOnGet: 'auto' | 'never';
  /** EIDF_KEEPALIVE_SECONDS: how often the agent checks the registry secret (default 15 min). */
  keepAliveSeconds: number;
  /** EIDF_KEYCHAIN_TIMEOUT_MS: upper bound on any one keychain call. */
  keychainTimeoutMs: number;
  /** EIDF_AGENT_IDLE_SECONDS: an agent with no session and nothing stored exits after this long without a request (0 = never). */
  agentIdleSeconds: number;
  /** EIDF_NO_BROWSER=1: never open a browser (the URL is printed in any case). */
  noBrowser: boolean;
  /** EIDF_DEBUG=1: debug lines in the agent's log. */
  debug: boolean;
  paths: Paths;
}

export interface Paths {
  /** EIDF_HOME, when set, replaces every per-user folder below with one folder. */
  home: string | undefined;
  configFile: string;
  /** Folder holding the agent socket: 0700, owned by the user, not a symlink. */
  runtimeDir: string;
  socket: string;
  fileStore: string;
  logFile: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a file's text, or undefined if it does not exist (injected so config stays pure). */
export type ReadText = (path: string) => string | undefined;

const DEFAULT_REGISTRY = 'registry.eidf.ac.uk';

/** One setting of config.json: its key there, its environment variable, its default, its JSON type. */
export interface Setting {
  key: string;
  variable: string;
  default: string | undefined;
  type: 'string' | 'number' | 'boolean';
}

/**
 * Every setting a config file may hold, with its default: loadConfig reads each through this
 * table and validates it; `docker-credential-eidf config` and the unknown-key check use it too.
 */
export const SETTINGS: readonly Setting[] = [
  { key: 'registry', variable: 'EIDF_REGISTRY', default: DEFAULT_REGISTRY, type: 'string' },
  { key: 'store', variable: 'EIDF_STORE', default: 'auto', type: 'string' },
  { key: 'oidcIssuer', variable: 'EIDF_OIDC_ISSUER', default: undefined, type: 'string' },
  { key: 'oidcClientId', variable: 'EIDF_OIDC_CLIENT_ID', default: undefined, type: 'string' },
  { key: 'oidcScopes', variable: 'EIDF_OIDC_SCOPES', default: 'openid offline_access profile email', type: 'string' },
  { key: 'allowInsecureLoopback', variable: 'EIDF_ALLOW_INSECURE_LOOPBACK', default: '0', type: 'boolean' },
  { key: 'loginOnGet', variable: 'EIDF_LOGIN_ON_GET', default: 'auto', type: 'string' },
  { key: 'keepAliveSeconds', variable: 'EIDF_KEEPALIVE_SECONDS', default: '900', type: 'number' },
  { key: 'keychainTimeoutMs', variable: 'EIDF_KEYCHAIN_TIMEOUT_MS', default: '3000', type: 'number' },
  { key: 'agentIdleSeconds', variable: 'EIDF_AGENT_IDLE_SECONDS', default: '600', type: 'number' },
  { key: 'noBrowser', variable: 'EIDF_NO_BROWSER', default: '0', type: 'boolean' },
  { key: 'debug', variable: 'EIDF_DEBUG', default: '0', type: 'boolean' },
];

/** The setting a name means: its config.json key (any case) or its variable. */
export function findSetting(name: string): Setting | undefined {
  return SETTINGS.find((s) => s.key.toLowerCase() === name.toLowerCase() || s.variable === name.toUpperCase());
}

/** The config.json key closest to a mistyped `name` (a key or a variable), if one is close enough. */
export function suggestKey(name: string, keys: readonly string[] = SETTINGS.map((s) => s.key)): string | undefined {
  const bare = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .replace(/^eidf/, '');
  const wanted = bare(name);
  let best: { key: string; distance: number } | undefined;
  for (const key of keys) {
    const variable = SETTINGS.find((s) => s.key === key)?.variable ?? key;
    // A key cut short (`keepalive` for keepAliveSeconds) counts as close.
    const truncated = wanted.length >= 5 && (bare(key).startsWith(wanted) || bare(variable).startsWith(wanted));
    const distance = truncated ? 1 : Math.min(editDistance(wanted, bare(key)), editDistance(wanted, bare(variable)));
    if (!best || distance < best.distance) best = { key, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(wanted.length / 4)) ? best.key : undefined;
}

export interface LoadOptions {
  /** `config set` and `unset` edit a file that may hold unknown keys: they report them, not fail. */
  unknownKeys?: 'error' | 'ignore';
}
const SOCKET_PATH_MAX = 100; // sun_path is 108 bytes on Linux, 104 on macOS

/**
 * The per-user paths. Without EIDF_HOME, the home folder is HOME or, when HOME is unset or empty,
 * the password database's (`passwdHome`); with neither, CONFIG_INVALID: never a folder in /tmp,
 * which another user could have made first. Only the agent's socket folder falls back to /tmp,
 * and it is checked before every use (platform/private-path.ts).
 */
export function resolvePaths(env: Env, uid: number, passwdHome: () => string | undefined = homeFromPasswd): Paths {
  const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');
  if (env.EIDF_HOME !== undefined) {
    const home = env.EIDF_HOME;
    if (!home.startsWith('/')) throw invalid('EIDF_HOME', 'must be an absolute path');
    return {
      home,
      configFile: join(home, 'config.json'),
      runtimeDir: join(home, 'run'),
      socket: join(home, 'run', 'agent.sock'),
      fileStore: join(home, 'secrets.json'),
      logFile: join(home, 'agent.log'),
    };
  }
  let home = env.HOME || undefined;
  const userHome = () => {
    home ??= passwdHome();
    if (home === undefined)
      throw invalid(
        'HOME',
        `is not set and the password database gives no existing home folder for uid ${uid}; set HOME or EIDF_HOME`,
      );
    return home;
  };
  const xdg = (name: string, fallback: string) => {
    const value = env[name];
    return value && value.startsWith('/') ? value : join(userHome(), fallback);
  };
  const app = 'docker-credential-eidf';
  const runtimeBase = env.XDG_RUNTIME_DIR?.startsWith('/') ? env.XDG_RUNTIME_DIR : undefined;
  const runtimeDir = runtimeBase ? join(runtimeBase, app) : `/tmp/${app}-${uid}`;
  return {
    home: undefined,
    configFile: join(xdg('XDG_CONFIG_HOME', '.config'), app, 'config.json'),
    runtimeDir,
    socket: join(runtimeDir, 'agent.sock'),
    fileStore: join(xdg('XDG_DATA_HOME', '.local/share'), app, 'secrets.json'),
    logFile: join(xdg('XDG_STATE_HOME', '.local/state'), app, 'agent.log'),
  };
}

/** Builds and validates the configuration. Throws CONFIG_INVALID naming the bad setting. */
export function loadConfig(env: Env, uid: number, readText: ReadText, options: LoadOptions = {}): Config {
  const paths = resolvePaths(env, uid);
  if (paths.socket.length > SOCKET_PATH_MAX) {
    throw invalid(
      env.EIDF_HOME !== undefined ? 'EIDF_HOME' : 'XDG_RUNTIME_DIR',
      `gives a socket path longer than ${SOCKET_PATH_MAX} bytes`,
    );
  }
  const file = readConfigFile(paths.configFile, readText);
  const pick = (envName: string, fileKey: string): string | undefined => {
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromFile = file[fileKey];
    if (fromFile === undefined) return undefined;
    if (typeof fromFile !== 'string' && typeof fromFile !== 'number' && typeof fromFile !== 'boolean') {
      throw invalid(`${paths.configFile}: ${fileKey}`, 'must be a string, number or boolean');
    }
    return String(fromFile);
  };

  // Each setting from the environment, else the file, else its default in SETTINGS (one place).
  const value = (key: string): string | undefined => {
    const setting = SETTINGS.find((s) => s.key === key)!;
    return pick(setting.variable, setting.key) ?? setting.default;
  };
  const allowInsecureLoopback = parseBoolean('EIDF_ALLOW_INSECURE_LOOPBACK', value('allowInsecureLoopback')!);
  const { registry, registryUrl } = parseRegistry(value('registry')!, allowInsecureLoopback);
  const oidcIssuer = value('oidcIssuer');
  if (oidcIssuer !== undefined) checkUrl('EIDF_OIDC_ISSUER', oidcIssuer, allowInsecureLoopback);
  const oidcScopes = value('oidcScopes')!;
  for (const required of ['openid', 'offline_access']) {
    if (!oidcScopes.split(/\s+/).includes(required)) throw invalid('EIDF_OIDC_SCOPES', `must include ${required}`);
  }
  const config: Config = {
    registry,
    registryUrl,
    store: parseEnum('EIDF_STORE', value('store')!, ['auto', 'keychain', 'memory', 'file'] as const),
    oidcIssuer,
    oidcClientId: value('oidcClientId'),
    oidcScopes,
    allowInsecureLoopback,
    loginOnGet: parseEnum('EIDF_LOGIN_ON_GET', value('loginOnGet')!, ['auto', 'never'] as const),
    keepAliveSeconds: parseNumber('EIDF_KEEPALIVE_SECONDS', value('keepAliveSeconds')!, 1, 86_400),
    keychainTimeoutMs: parseNumber('EIDF_KEYCHAIN_TIMEOUT_MS', value('keychainTimeoutMs')!, 50, 60_000),
    agentIdleSeconds: parseNumber('EIDF_AGENT_IDLE_SECONDS', value('agentIdleSeconds')!, 0, 31_536_000),
    noBrowser: parseBoolean('EIDF_NO_BROWSER', value('noBrowser')!),
    debug: parseBoolean('EIDF_DEBUG', value('debug')!),
    paths,
  };
  if (options.unknownKeys !== 'ignore') {
    const unknown = Object.keys(file).find((key) => !SETTINGS.some((s) => s.key === key));
    if (unknown !== undefined) throw invalid(`${paths.configFile}:`, unknownKeyProblem(unknown));
  }
  return config;
}

/** `unknown key "oidcIsuer" (did you mean "oidcIssuer"?)`: a key that would otherwise be silently ignored. */
export function unknownKeyProblem(key: string, keys: readonly string[] = SETTINGS.map((s) => s.key)): string {
  const suggestion = suggestKey(key, keys);
  return `unknown key ${JSON.stringify(key)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ' (docker-credential-eidf config list shows the settings)'}`;
}

function readConfigFile(path: string, readText: ReadText): Record<string, unknown> {
  const text = readText(path);
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(path, 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid(path, 'must hold a JSON object');
  return parsed as Record<string, unknown>;
}

function parseRegistry(value: string, allowInsecureLoopback: boolean): { registry: string; registryUrl: string } {
  checkPlain('EIDF_REGISTRY', value);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  const authority = (scheme ? value.slice(scheme.length + 3) : value).split('/', 1)[0];
  if (authority.includes('@')) throw invalid('EIDF_REGISTRY', 'must not contain a user name or password');
  let registry: string;
  try {
    registry = registryKey(value);
  } catch {
    registry = '';
  }
  // The key as Docker computes it (no folding): it must be a plain ASCII host[:port] to be reachable.
  if (!/^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/.test(registry)) {
    throw invalid('EIDF_REGISTRY', 'must be a registry host such as registry.eidf.ac.uk');
  }
  const registryUrl = `${scheme ?? 'https'}://${registry}`;
  checkUrl('EIDF_REGISTRY', registryUrl, allowInsecureLoopback);
  return { registry, registryUrl };
}

function parseEnum<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(name, `must be one of ${allowed.join(', ')}`);
}

function parseNumber(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw invalid(name, `must be a whole number from ${min} to ${max}`);
  }
  return n;
}

function parseBoolean(name: string, value: string): boolean {
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['0', 'false', 'no', ''].includes(value)) return false;
  throw invalid(name, 'must be 1 or 0');
}
