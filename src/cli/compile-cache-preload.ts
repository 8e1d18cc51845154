import { useCompileCache } from '../platform/compile-cache.ts';

/**
 * Preloaded by bin/docker-credential-eidf (`node --require dist/compile-cache.cjs …`, built by
 * scripts/build.ts) so that the compile cache is on, in a checked folder, before the helper
 * bundle or the CLI sources are compiled.
 */
useCompileCache(process.env, process.getuid?.() ?? -1);
