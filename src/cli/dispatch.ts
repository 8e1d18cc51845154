import { loadConfig, type Config } from '../config.ts';
import { EidfError, oneLine } from '../core/errors.ts';
import { isProtocolVerb } from '../protocol/protocol.ts';
import { PRODUCT } from '../version.ts';
import type { CliDeps } from './deps.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { runProtocolVerb } from './commands/protocol-verbs.ts';
import { COMMANDS, USAGE_LINE, type Command } from './usage.ts';

const HELP = `${USAGE_LINE}

Docker credential helper for Harbor registries with OIDC login (EIDF).

Credential-helper verbs (called by docker, podman, buildah, skopeo through credHelpers):
  store | get | erase | list | version

Commands for people:
  login [--no-browser]  log in once: with a device code where an OIDC issuer and client are
                        configured, else with your Harbor CLI secret typed on the terminal
                        (--secret chooses that anyway); the agent keeps it alive from then on
  login --web           renew Harbor's own session in a browser when the registry secret died
  login --secret-stdin --username U
                        the CLI-secret login without a terminal (secret on stdin)
  logout [--forget-robots]
                        revoke the session at the IdP and forget the registry secret; robot
                        secrets are kept (and counted) unless --forget-robots
  status [--json]       login state, registry secret, store, agent (exit 0 logged in, 4 not)
  doctor [--json]       check each link (config, PATH, auth files, agent, store, IdP, Harbor,
                        session, registry secret): ok / warn / fail and what to do (exit 1 on a fail)
  rotate-secret --yes   set a new Harbor CLI secret (old copies stop working)
  export-k8s --namespace NS --project P [--robot NAME] [--days N] [--user] [--name N]
             [-o yaml|json] [--apply [--context C] [--kubeconfig K]] [--output-file F]
                        a Kubernetes image pull secret (a pull-only robot by default)
  robot list|create|import|rotate|delete [NAME] --project P [--json]
                        robot accounts of a project (create/rotate/delete: project admins;
                        import --secret-stdin: keep a robot secret you were given)
  setup [--undo]        wire this helper into Docker's and containers' auth files for the registry
  setup --creds-store   Docker only: credsStore "eidf", this helper stores every registry's login
  setup --undo --all    undo what setup wrote, for every registry (install.sh --uninstall runs it)
  config list|get|set|unset [NAME [VALUE]] [--json]
                        the settings in config.json (what a systemd service reads), validated
  daemon start|stop|run start, stop, or run the per-user agent in the foreground

Settings (environment, else config.json; see 'config list'): EIDF_REGISTRY, EIDF_STORE
(keychain|memory|file), EIDF_HOME, EIDF_OIDC_ISSUER, EIDF_OIDC_CLIENT_ID. See README.md.
`;

/**
 * Runs one invocation. Protocol verbs answer on stdout (errors too, as one line, exit 1);
 * commands for people write to stderr and map error codes to exit codes in one place.
 */
export async function run(argv: readonly string[], deps: CliDeps): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === '--version' || verb === '-v') {
    deps.stdout.write(`${PRODUCT} ${deps.version}\n`);
    return EXIT.ok;
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    deps.stdout.write(HELP);
    return EXIT.ok;
  }
  if (verb !== undefined && isProtocolVerb(verb)) {
    if (rest.length > 0) {
      deps.stdout.write(`${USAGE_LINE}\n`);
      return 1;
    }
    return runProtocolVerb(verb, deps, () => config(deps));
  }
  if (verb === undefined || !(COMMANDS as readonly string[]).includes(verb)) {
    deps.stdout.write(`${USAGE_LINE}\n`);
    return 1;
  }
  try {
    return await runCommand(verb as Command, rest, deps);
  } catch (err) {
    deps.stderr.write(`${PRODUCT}: ${oneLine(err)}\n`);
    return err instanceof EidfError ? exitCodeFor(err.code) : EXIT.error;
  }
}

async function runCommand(command: Command, args: string[], deps: CliDeps): Promise<number> {
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
  }
}

function config(deps: CliDeps): Config {
  return loadConfig(deps.env, deps.uid, deps.readText);
}
