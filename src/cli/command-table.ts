/**
 * Every command, subcommand and flag of the CLI, declared once: the argument parser (args.ts), the help
 * (help.ts) and the shell completions (commands/completion.ts) all read this table, so a flag added here
 * is parsed, documented and completed at once. The protocol verbs docker runs are listed for the help
 * only: they take no flags and never go through the parser.
 */

export interface FlagSpec {
  /** Long name, without `--`. */
  name: string;
  /** One letter, without `-`. */
  short?: string;
  /** Placeholder of the value (`NS`) for a flag that takes one; absent for a boolean flag. */
  value?: string;
  /** One line of meaning. */
  meaning: string;
  /** A command line using it, without the program name. */
  example: string;
  required?: boolean;
  /** Other flags this one cannot go without (`--secret-stdin` needs `--username`). */
  needs?: readonly string[];
  /** The values it accepts, when they are a fixed few (also offered by the completions). */
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  /** One line, shown in the list of commands. */
  summary: string;
  /** More lines for its own help. */
  details?: readonly string[];
  /** The operands as shown in the usage line (`NAME`, `NAME VALUE`). */
  operands?: string;
  /** How many operands it takes: [min, max]; [0, 0] when absent. */
  operandCount?: readonly [number, number];
  /** What to complete for the first operand: fixed words, or the setting names (`config get`). */
  completeOperand?: readonly string[] | 'settings';
  flags?: readonly FlagSpec[];
  subcommands?: readonly CommandSpec[];
  examples?: readonly string[];
}

const JSON_FLAG = (example: string): FlagSpec => ({
  name: 'json',
  meaning: 'print the result as JSON on stdout (the stable interface: fields are only ever added)',
  example,
});

const PROJECT = (example: string): FlagSpec => ({
  name: 'project',
  short: 'p',
  value: 'P',
  meaning: 'the Harbor project',
  example,
  required: true,
});

const DAYS: FlagSpec = {
  name: 'days',
  value: 'N',
  meaning: "the robot's lifetime in whole days, or -1 for never (Harbor's default when absent)",
  example: 'robot create ci-pull --project demo --days 90',
};

/** Where a Kubernetes Secret goes: shared by `export-k8s` and `robot rotate`. */
const DELIVERY: readonly FlagSpec[] = [
  {
    name: 'name',
    value: 'N',
    meaning: 'the Secret\'s name (default "eidfreg")',
    example: 'export-k8s --namespace ml --project demo --name regcred',
  },
  {
    name: 'output',
    short: 'o',
    value: 'FORMAT',
    meaning: 'the manifest as yaml (default) or json',
    example: 'export-k8s --namespace ml --project demo -o json',
    choices: ['yaml', 'json'],
  },
  {
    name: 'output-file',
    value: 'F',
    meaning: 'write the manifest to a new 0600 file instead of stdout',
    example: 'export-k8s --namespace ml --project demo --output-file pull-secret.yaml',
  },
  {
    name: 'apply',
    meaning: 'pipe the manifest to `kubectl apply -f -` (the secret never touches disk)',
    example: 'export-k8s --namespace ml --project demo --apply',
  },
  {
    name: 'context',
    value: 'C',
    meaning: 'the kubectl context for --apply',
    example: 'export-k8s --namespace ml --project demo --apply --context prod',
  },
  {
    name: 'kubeconfig',
    value: 'K',
    meaning: 'the kubeconfig file for --apply',
    example: 'export-k8s --namespace ml --project demo --apply --kubeconfig ~/.kube/eidf',
  },
];

const NAMESPACE: FlagSpec = {
  name: 'namespace',
  short: 'n',
  value: 'NS',
  meaning: 'the Kubernetes namespace of the Secret',
  example: 'export-k8s --namespace ml --project demo',
};

const SETTINGS_OPERAND = { completeOperand: 'settings' } as const;

export const COMMAND_TABLE: readonly CommandSpec[] = [
  {
    name: 'login',
    summary: 'log in once; the agent keeps the registry secret alive from then on',
    details: [
      'With an OIDC issuer and client configured: a device login (open the URL or scan the QR code).',
      'Else: your Harbor username and CLI secret, asked on the terminal and checked by Harbor before they',
      "are kept (Harbor's web UI → your name → User Profile → CLI secret).",
    ],
    flags: [
      {
        name: 'no-browser',
        meaning: 'do not open a browser; print the URL only',
        example: 'login --no-browser',
      },
      {
        name: 'web',
        meaning: "renew Harbor's own session in a browser when the registry secret died",
        example: 'login --web',
      },
      {
        name: 'secret',
        meaning: 'the CLI-secret login even where a device login is configured',
        example: 'login --secret --username alice',
      },
      {
        name: 'secret-stdin',
        meaning: 'read the CLI secret from stdin (no terminal needed; never put it in argv)',
        example: 'login --secret-stdin --username alice < secret.txt',
        needs: ['username'],
      },
      {
        name: 'username',
        value: 'U',
        meaning: 'your Harbor username for the CLI-secret login',
        example: 'login --username alice',
      },
      {
        name: 'force',
        meaning: 'start a new login even when already logged in, without asking',
        example: 'login --force',
      },
    ],
  },
  {
    name: 'logout',
    summary: 'revoke the session at the IdP and forget the registry secret',
    flags: [
      {
        name: 'forget-robots',
        meaning: 'also remove the robot secrets kept for the registry (the robots stay in Harbor)',
        example: 'logout --forget-robots',
      },
      {
        name: 'forget-all',
        meaning:
          'also remove everything else kept in the store: robot secrets, credentials docker stored for other registries (uninstall --purge uses it)',
        example: 'logout --forget-all',
      },
    ],
  },
  {
    name: 'status',
    summary: 'login state, registry secret, store and agent (exit 0 logged in, 4 not)',
    flags: [JSON_FLAG('status --json')],
  },
  {
    name: 'doctor',
    summary: 'check each link from config to registry: ok / warn / fail and what to do (exit 1 on a fail)',
    flags: [JSON_FLAG('doctor --json')],
  },
  {
    name: 'setup',
    summary: "wire this helper into Docker's and containers' auth files for the registry",
    flags: [
      {
        name: 'undo',
        meaning: 'remove the wiring setup added and put back what was there',
        example: 'setup --undo',
      },
      {
        name: 'creds-store',
        meaning: 'make it Docker\'s credsStore ("eidf") for every registry, not only credHelpers for this one',
        example: 'setup --creds-store',
      },
      {
        name: 'all',
        meaning: 'with --undo: undo what setup wrote for every registry (install.sh --uninstall runs it)',
        example: 'setup --undo --all',
        needs: ['undo'],
      },
    ],
  },
  {
    name: 'rotate-secret',
    summary: 'set a new Harbor CLI secret (every old copy stops working)',
    flags: [
      {
        name: 'yes',
        meaning: 'confirm: the old CLI secret stops working everywhere at once',
        example: 'rotate-secret --yes',
      },
    ],
  },
  {
    name: 'export-k8s',
    summary: 'a Kubernetes image pull Secret (a pull-only project robot by default)',
    details: [
      'The robot is created on first use and its secret kept by the agent; --user exports your own',
      'credential instead, which dies with your Harbor session.',
    ],
    flags: [
      { ...NAMESPACE, required: true },
      {
        ...PROJECT('export-k8s --namespace ml --project demo'),
        meaning: 'the Harbor project of the robot (or --user)',
        required: false,
      },
      {
        name: 'robot',
        value: 'NAME',
        meaning: 'the robot to use or create (default "k8s-pull")',
        example: 'export-k8s --namespace ml --project demo --robot ci-pull',
      },
      { ...DAYS, meaning: "a new robot's lifetime in whole days, or -1 for never" },
      {
        name: 'user',
        meaning: 'export your own credential instead of a robot (it dies with your Harbor session)',
        example: 'export-k8s --namespace ml --user',
      },
      ...DELIVERY,
    ],
    examples: ['export-k8s --namespace ml --project demo --apply'],
  },
  {
    name: 'robot',
    summary: 'robot accounts of a project: list, create, import, rotate, delete',
    subcommands: [
      {
        name: 'list',
        summary: 'the robots of a project, their expiry and whether their secret is kept here',
        flags: [PROJECT('robot list --project demo'), JSON_FLAG('robot list --project demo --json')],
      },
      {
        name: 'create',
        summary: 'create a pull-only robot (project admins); its secret is kept by the agent',
        operands: 'NAME',
        operandCount: [1, 1],
        flags: [
          PROJECT('robot create ci-pull --project demo'),
          DAYS,
          JSON_FLAG('robot create ci-pull --project demo --json'),
        ],
      },
      {
        name: 'import',
        summary: 'keep the secret of a robot someone gave you (read from stdin)',
        operands: 'NAME',
        operandCount: [1, 1],
        flags: [
          PROJECT('robot import ci-pull --project demo --secret-stdin < robot-secret.txt'),
          {
            name: 'secret-stdin',
            meaning: 'read the robot secret from stdin (never from argv)',
            example: 'robot import ci-pull --project demo --secret-stdin < robot-secret.txt',
            required: true,
          },
          JSON_FLAG('robot import ci-pull --project demo --secret-stdin --json < robot-secret.txt'),
        ],
      },
      {
        name: 'rotate',
        summary: "give a robot a new secret (project admins); --apply updates the cluster's Secret",
        operands: 'NAME',
        operandCount: [1, 1],
        flags: [
          PROJECT('robot rotate ci-pull --project demo'),
          JSON_FLAG('robot rotate ci-pull --project demo --json'),
          { ...NAMESPACE, meaning: 'the namespace of the Secret to update (with --apply or --output-file)' },
          ...DELIVERY,
        ],
        examples: ['robot rotate k8s-pull --project demo --apply --namespace ml'],
      },
      {
        name: 'delete',
        summary: 'delete a robot (project admins) and the secret kept for it',
        operands: 'NAME',
        operandCount: [1, 1],
        flags: [
          PROJECT('robot delete ci-pull --project demo'),
          JSON_FLAG('robot delete ci-pull --project demo --json'),
        ],
      },
    ],
  },
  {
    name: 'config',
    summary: 'the settings in config.json (what a systemd service reads), validated',
    subcommands: [
      {
        name: 'list',
        summary: 'every setting, its value and where it comes from; unknown keys',
        flags: [JSON_FLAG('config list --json')],
      },
      {
        name: 'get',
        summary: 'the value in effect here (stdout)',
        operands: 'NAME',
        operandCount: [1, 1],
        ...SETTINGS_OPERAND,
        flags: [JSON_FLAG('config get store --json')],
      },
      {
        name: 'set',
        summary: 'set a key in config.json, validated as the variable would be; other keys kept',
        operands: 'NAME VALUE',
        operandCount: [2, 2],
        ...SETTINGS_OPERAND,
        examples: ['config set oidcIssuer https://idp.example/realms/eidf'],
      },
      {
        name: 'unset',
        summary: 'remove a key from config.json, also one it does not know',
        operands: 'NAME',
        operandCount: [1, 1],
        ...SETTINGS_OPERAND,
        examples: ['config unset oidcIssuer'],
      },
    ],
  },
  {
    name: 'daemon',
    summary: 'the per-user agent: start, stop, status, or run it in the foreground',
    subcommands: [
      { name: 'start', summary: 'start the agent unless it runs' },
      { name: 'stop', summary: 'stop the agent (it saves a refresh token still held in memory first)' },
      { name: 'status', summary: 'whether an agent runs, its version, pid and socket (exit 3 when none)' },
      { name: 'run', summary: 'run the agent in the foreground (systemd runs this), logging to stderr' },
    ],
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh or fish)',
    operands: 'SHELL',
    operandCount: [1, 1],
    completeOperand: ['bash', 'zsh', 'fish'],
    examples: [
      'completion bash > ~/.local/share/bash-completion/completions/docker-credential-eidf',
      'completion zsh > "${fpath[1]}/_docker-credential-eidf"',
      'completion fish > ~/.config/fish/completions/docker-credential-eidf.fish',
    ],
  },
  {
    name: 'version',
    summary: 'the version, with Node and the platform (also --version, -V)',
  },
  {
    name: 'help',
    summary: 'help for a command (also COMMAND --help, -h)',
    operands: '[COMMAND [SUBCOMMAND]]',
    operandCount: [0, 2],
    examples: ['help robot delete'],
  },
];

/** The credential-helper verbs docker, podman, buildah and skopeo run (src/protocol); shown in the help only. */
export const PROTOCOL_VERB_HELP: readonly (readonly [string, string])[] = [
  ['get', 'the credential for the registry named on stdin (JSON on stdout)'],
  ['store', 'keep a credential `docker login` hands over (JSON on stdin)'],
  ['erase', 'forget the credential of the registry named on stdin'],
  ['list', 'the registries with a credential (JSON on stdout)'],
];

/** The command a path of names leads to (`['robot', 'delete']`), or undefined. */
export function findCommand(path: readonly string[]): CommandSpec | undefined {
  let level: readonly CommandSpec[] = COMMAND_TABLE;
  let found: CommandSpec | undefined;
  for (const name of path) {
    found = level.find((c) => c.name === name);
    if (!found) return undefined;
    level = found.subcommands ?? [];
  }
  return found;
}
