/**
 * `npm run sandbox`: the local stand-in for EIDF (IdP + Harbor API + real registry).
 * Prints one `export NAME=value` line per variable the CLI needs, then `sandbox ready`,
 * and runs until SIGINT/SIGTERM. Everything else (hints, diagnostics) goes to stderr.
 */
import { FlagError, parseFlags } from './flags.ts';
import { startSandbox } from './sandbox.ts';
import { SANDBOX_PASSWORD } from './users.ts';

// Libraries print notices with console.info/log; keep stdout for the export lines only.
const writeStdout = process.stdout.write.bind(process.stdout);
console.log = console.info = (...args: unknown[]) => console.error(...args);

let options;
try {
  options = parseFlags(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof FlagError)) throw err;
  process.stderr.write(`sandbox: ${err.message}\n`);
  process.exit(2);
}

const sandbox = await startSandbox(options);
for (const [name, value] of Object.entries(sandbox.env)) writeStdout(`export ${name}=${value}\n`);
writeStdout('sandbox ready\n');
process.stderr.write(
  `sandbox: Harbor ${sandbox.registryUrl} (registry ${sandbox.registryHost}), IdP ${sandbox.issuer}\n` +
    `sandbox: users alice (admin of "demo"), bob (developer in "demo"), carol (not yet logged in to Harbor); password ${SANDBOX_PASSWORD}\n` +
    `sandbox: web login: ${sandbox.registryUrl}/c/oidc/login\n`,
);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`sandbox: ${signal}, stopping\n`);
  sandbox.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`sandbox: stop failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
