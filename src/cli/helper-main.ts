import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { isProtocolVerb } from '../protocol/protocol.ts';
import { PROTOCOL_USAGE, runProtocolVerb } from './commands/protocol-verbs.ts';
import { processDeps } from './process-deps.ts';

/**
 * The entry of dist/protocol-helper.cjs (scripts/build.ts): the credential-helper verbs only,
 * which docker and friends run on every pull. Bundled on its own so it holds no other command:
 * the smaller the file, the sooner a `get` starts. Everything else runs from main.ts.
 */
const [verb, ...rest] = process.argv.slice(2);
const deps = processDeps(join(import.meta.dirname, 'main.ts'));
if (verb === undefined || !isProtocolVerb(verb) || rest.length > 0) {
  deps.stdout.write(`${PROTOCOL_USAGE}\n`);
  process.exitCode = 1;
} else {
  void runProtocolVerb(verb, deps, () => loadConfig(deps.env, deps.uid, deps.readText)).then((code) => {
    process.exitCode = code;
  });
}
