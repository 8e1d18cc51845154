/**
 * Where this program runs from: a checkout (the pinned Node running the TypeScript sources or
 * the bundles in dist/) or the single executable (a Node SEA built by scripts/build-sea.ts).
 * The two places that differ ask here: the command that starts the agent, and (sea-keychain.ts)
 * where the keychain worker and its native addon come from. `node:sea` is loaded on first
 * question only, and this file imports nothing: the checkout's `get` path loads it and must not
 * pay for it.
 */

export type SeaModule = typeof import('node:sea');

/** Names of the assets scripts/build-sea.ts embeds in the single executable. */
export const SEA_ASSETS = {
  /** src/store/keychain-worker.ts bundled as one CommonJS script. */
  keychainWorker: 'keychain-worker.cjs',
  /** The @napi-rs/keyring native addon for the platform the executable was built on. */
  keyringAddon: 'keyring.node',
  /** src/cli/main.ts bundled: what the executable's fast entry (src/cli/fast-main.ts) loads for anything but a protocol verb. */
  cli: 'cli.cjs',
} as const;

let sea: SeaModule | null | undefined; // undefined = not asked yet, null = not a SEA

/** The `node:sea` module when this process is the single executable, else null. */
export function seaModule(): SeaModule | null {
  if (sea === undefined) {
    const mod = process.getBuiltinModule('node:sea') as SeaModule | undefined;
    sea = mod?.isSea() === true ? mod : null;
  }
  return sea;
}

/** True when this process is the single executable. */
export function runningAsSea(): boolean {
  return seaModule() !== null;
}

/**
 * The agent is idle nearly always: V8 flags that trade speed for memory (npm run bench, BENCH_FLAGS=1,
 * measured each; RssAnon of an idle agent): a 1 MB young generation (-2.6 MB idle, and 98 → 10 wake-ups
 * a minute), one V8 worker thread (-6 MB after a burst of requests), and no memory reducer (it polls
 * every 8 s while it waits for a quiet moment to collect; the agent runs one full GC itself once
 * requests stop: agent/server/quiet-timer.ts). These three leave the hash V8 checks code caches
 * against unchanged, so the single executable takes them too (scripts/build-sea.ts).
 */
export const CACHE_NEUTRAL_V8_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=1', '--no-memory-reducer'] as const;

/**
 * The agent's flags from a checkout: those above and sizes before speed (--optimize-for-size, which
 * changes the code-cache hash: not in the single executable). --jitless and --lite-mode would save
 * more but break fetch (undici needs WebAssembly).
 */
export const AGENT_V8_FLAGS = [...CACHE_NEUTRAL_V8_FLAGS, '--optimize-for-size'] as const;

/**
 * glibc's malloc settings for the agent (read once at process start, so they go in its environment:
 * spawn-agent.ts, and install.sh's systemd unit): two arenas instead of one per thread (-9 MB), and
 * every block of 4 KiB or more in its own mapping, which free() gives back to the system. Without
 * that, the blocks a burst of 1000 requests leaves scattered in the heap keep ~20 MB resident for
 * good. It costs CPU when the agent starts and under load (a mapping per such block), not on an
 * idle agent.
 */
export const AGENT_MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '4096' } as const;

/**
 * The argv prefix that runs this CLI again (`… daemon run` is appended). From a checkout: the
 * pinned Node with the agent's flags and `script` (src/cli/main.ts). In the single executable the
 * binary is the whole program and takes no Node flags on its command line; its flags
 * (CACHE_NEUTRAL_V8_FLAGS) are baked in through `execArgv` in the SEA config.
 */
export function agentCommand(execPath: string, script: string): string[] {
  if (runningAsSea()) return [execPath];
  return [execPath, '--disable-warning=ExperimentalWarning', ...AGENT_V8_FLAGS, script];
}
