import { enableCompileCache } from 'node:module';
import { ensurePrivateDir, GROUP_OTHER_ANY } from './private-path.ts';
import { homeFromPasswd } from './passwd-home.ts';

/**
 * Turns on Node's compile cache in a folder of the user's own, or not at all.
 *
 * The cache holds compiled code that Node loads and runs, so a folder another user could write
 * to (such as /tmp/.cache when HOME is unset) is an injection point. The folder is
 * `$EIDF_HOME/compile-cache`, else `${XDG_CACHE_HOME:-$HOME/.cache}/docker-credential-eidf/compile-cache`
 * (HOME from the password database when unset); it is created 0700 whatever the umask and used
 * only when it and its parent pass ensurePrivateDir. An explicit NODE_COMPILE_CACHE is the
 * user's choice and left alone (Node has already applied it); a folder checked here is put in
 * `env` for the agent this process may start. Never throws, never prints: this runs before every
 * helper call, whose stdout belongs to the protocol.
 */
export function useCompileCache(env: NodeJS.ProcessEnv, uid: number): string | undefined {
  if (env.NODE_COMPILE_CACHE) return undefined;
  try {
    const dir = cacheFolder(env);
    if (dir === undefined) return undefined;
    const rule = { uid, forbidden: GROUP_OTHER_ANY };
    if (!env.EIDF_HOME) ensurePrivateDir(dir.slice(0, dir.lastIndexOf('/')), rule);
    ensurePrivateDir(dir, rule);
    enableCompileCache(dir);
    env.NODE_COMPILE_CACHE = dir; // an agent this process starts uses the folder just checked
    return dir;
  } catch {
    return undefined; // no cache: a few ms slower, nothing else
  }
}

function cacheFolder(env: NodeJS.ProcessEnv): string | undefined {
  if (env.EIDF_HOME?.startsWith('/')) return `${env.EIDF_HOME}/compile-cache`;
  let base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : undefined;
  if (base === undefined) {
    const home = env.HOME?.startsWith('/') ? env.HOME : homeFromPasswd();
    if (home === undefined) return undefined;
    base = `${home}/.cache`;
  }
  return `${base}/docker-credential-eidf/compile-cache`.replace(/\/+/g, '/');
}
