import { loadConfig } from '../config.ts';
import { isProtocolVerb } from '../protocol/protocol.ts';
import { PROTOCOL_USAGE, runProtocolVerb } from './commands/protocol-verbs.ts';
import { processDeps } from './process-deps.ts';

/**
 * Runs one credential-helper verb (`get`, `store`, …) in this process, loading nothing a command
 * for people needs: the body of the fast entry (fast-main.ts). `cliEntry` is the
 * script that starts the agent (see processDeps).
 */
export function runProtocolEntry(argv: readonly string[], cliEntry: string): void {
  const [verb, ...rest] = argv;
  const deps = processDeps(cliEntry);
  if (verb === undefined || !isProtocolVerb(verb) || rest.length > 0) {
    deps.stdout.write(`${PROTOCOL_USAGE}\n`);
    process.exitCode = 1;
    return;
  }
  void runProtocolVerb(verb, deps, () => loadConfig(deps.env, deps.uid, deps.readText)).then((code) => {
    process.exitCode = code;
  });
}
