import { loadConfig, type Config } from '../config.ts';
import { EidfError, oneLine } from '../core/errors.ts';
import { isProtocolVerb } from '../protocol/protocol.ts';
import { PRODUCT, versionLine } from '../version.ts';
import { parseCommandLine, unknownCommand, type ParsedArgs } from './args.ts';
import { findCommand } from './command-table.ts';
import type { CliDeps } from './deps.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { PROTOCOL_USAGE, runProtocolVerb } from './commands/protocol-verbs.ts';

const HELP_FLAGS = ['--help', '-h'];
const VERSION_FLAGS = ['--version', '-V', '-v'];

/**
 * Runs one invocation. Protocol verbs answer on stdout (errors too, as one line, exit 1); commands for
 * people are parsed against command-table.ts, write their reports to stdout and errors to stderr, and
 * map error codes to exit codes in one place (exit-codes.ts).
 */
export async function run(argv: readonly string[], deps: CliDeps): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (verb === undefined) {
      deps.stderr.write((await import('./help.ts')).generalHelp());
      return EXIT.usage;
    }
    if (VERSION_FLAGS.includes(verb) && rest.length === 0) return printVersion(deps);
    if (HELP_FLAGS.includes(verb)) return await help(rest, deps);
    if (isProtocolVerb(verb)) {
      if (verb === 'version' && rest.length === 1 && HELP_FLAGS.includes(rest[0])) return await help([verb], deps);
      if (rest.length > 0) {
        deps.stdout.write(`${PROTOCOL_USAGE}\n`);
        return EXIT.error;
      }
      return await runProtocolVerb(verb, deps, () => config(deps));
    }
    const parsed = parseCommandLine(argv);
    if (parsed.help) return await help(parsed.path, deps);
    return await runCommand(parsed, deps);
  } catch (err) {
    deps.stderr.write(`${PRODUCT}: ${oneLine(err)}\n`);
    return err instanceof EidfError ? exitCodeFor(err.code) : EXIT.error;
  }
}

async function runCommand(args: ParsedArgs, deps: CliDeps): Promise<number> {
  const command = args.path[0];
  switch (command) {
    case 'daemon':
      return (await import('./commands/daemon.ts')).daemonCommand(args, deps, config(deps));
    case 'status':
      return (await import('./commands/status.ts')).statusCommand(args, deps, config(deps));
    case 'doctor':
      return (await import('./commands/doctor.ts')).doctorCommand(args, deps, () => config(deps));
    case 'setup':
      return (await import('./commands/setup.ts')).setupCommand(args, deps, config(deps));
    case 'login':
      return (await import('./commands/login.ts')).loginCommand(args, deps, config(deps));
    case 'logout':
      return (await import('./commands/logout.ts')).logoutCommand(args, deps, config(deps));
    case 'rotate-secret':
      return (await import('./commands/rotate-secret.ts')).rotateSecretCommand(args, deps, config(deps));
    case 'export-k8s':
      return (await import('./commands/export-k8s.ts')).exportK8sCommand(args, deps, config(deps));
    case 'robot':
      return (await import('./commands/robot.ts')).robotCommand(args, deps, config(deps));
    case 'config':
      return (await import('./commands/config.ts')).configCommand(args, deps);
    case 'completion':
      return (await import('./commands/completion.ts')).completionCommand(args, deps);
    case 'help':
      return help(args.positionals, deps);
    case 'version':
      return printVersion(deps);
  }
  throw unknownCommand(command);
}

/** `help [COMMAND [SUBCOMMAND]]`: on stdout, exit 0; an unknown name is a usage error. */
async function help(path: readonly string[], deps: CliDeps): Promise<number> {
  const { commandHelp, generalHelp, protocolVerbHelp } = await import('./help.ts');
  if (path.length === 0) {
    deps.stdout.write(generalHelp());
    return EXIT.ok;
  }
  const verbHelp = path.length === 1 ? protocolVerbHelp(path[0]) : undefined;
  if (verbHelp !== undefined) {
    deps.stdout.write(verbHelp);
    return EXIT.ok;
  }
  for (let depth = 1; depth <= path.length; depth++) {
    if (!findCommand(path.slice(0, depth))) throw unknownCommand(path[depth - 1], path.slice(0, depth - 1));
  }
  deps.stdout.write(commandHelp(findCommand(path)!, path));
  return EXIT.ok;
}

function printVersion(deps: CliDeps): number {
  deps.stdout.write(`${versionLine(deps.version)}\n`);
  return EXIT.ok;
}

function config(deps: CliDeps): Config {
  return loadConfig(deps.env, deps.uid, deps.readText);
}
