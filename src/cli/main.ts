import { processDeps } from './process-deps.ts';
import { run } from './dispatch.ts';

/**
 * The CLI's entry: builds its dependencies from this process and runs one command. Everything
 * below receives what it needs through CliDeps.
 */
// No top-level await: the single executable bundles this file as CommonJS (scripts/build-sea.ts).
void run(process.argv.slice(2), processDeps(import.meta.filename)).then((code) => {
  process.exitCode = code;
});
