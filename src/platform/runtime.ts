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
 * a minute), one V8 worker thread (-6 MB after a burst of requests), and sizes before speed (V8's memory
 * reducer then stops polling every 8 s). --jitless and --lite-mode would save more but break fetch
 * (undici needs WebAssembly). The single executable bakes in only the first (scripts/build-sea.ts says why).
 */
export const AGENT_V8_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=1', '--optimize-for-size'] as const;

/**
 * The argv prefix that runs this CLI again (`… daemon run` is appended). From a checkout: the
 * pinned Node with the agent's flags and `script` (src/cli/main.ts). In the single executable the
 * binary is the whole program and takes no Node flags on its command line; its flags (the 1 MB
 * young generation among them) are baked in through `execArgv` in the SEA config.
 */
export function agentCommand(execPath: string, script: string): string[] {
  if (runningAsSea()) return [execPath];
  return [execPath, '--disable-warning=ExperimentalWarning', ...AGENT_V8_FLAGS, script];
}
