import { setGlobalProxyFromEnv } from 'node:http';
import type { Env } from '../config.ts';
import { PROXY_VARIABLES } from '../agent/settings.ts';

/**
 * Makes this process's fetch (the IdP through openid-client, Harbor) and node:http clients use
 * the proxy that HTTPS_PROXY / HTTP_PROXY / NO_PROXY (or their lower-case forms) name: Node does
 * not by default. Node's own support (the same as NODE_USE_ENV_PROXY=1, set at run time here so
 * that a systemd unit or the single executable need no flag) tunnels through the proxy with
 * CONNECT for http:// and https:// targets alike, and bypasses the hosts NO_PROXY lists (loopback
 * included only when listed). Returns whether a proxy variable was set.
 */
export function useProxyFromEnv(env: Env): boolean {
  const proxyEnv: Record<string, string> = {};
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') proxyEnv[name] = value;
  }
  if (!PROXY_VARIABLES.some((name) => !/no_proxy/i.test(name) && proxyEnv[name] !== undefined)) return false;
  setGlobalProxyFromEnv(proxyEnv);
  return true;
}
