import type { Config } from '../../config.ts';
import { EidfError, oneLine } from '../../core/errors.ts';
import type { RobotList, RobotView } from '../../agent/api.ts';
import { validateProjectName } from '../../harbor/projects.ts';
import { validateRobotDays, validateRobotName } from '../../harbor/robots.ts';
import { validateNamespace, validateSecretName } from '../../k8s/names.ts';
import { renderPullSecret } from '../../k8s/secret.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';
import { EXPIRY_WARNING_DAYS, expiryNote } from './robot-expiry.ts';
import { daysFlag, parseStrict, stringFlag, type StrictArgs } from '../strict-args.ts';
import { DEFAULT_SECRET_NAME } from './export-k8s.ts';
import { checkKubectlAvailable, deliverManifest, deliveryFrom, DELIVERY_OPTIONS } from './k8s-delivery.ts';

const USAGE = [
  'usage: docker-credential-eidf robot list --project P [--json]',
  '       docker-credential-eidf robot create NAME --project P [--days N] [--json]',
  '       docker-credential-eidf robot import NAME --project P --secret-stdin [--json]',
  '       docker-credential-eidf robot rotate NAME --project P [--json] [--apply --namespace NS [--name N] [--context C] [--kubeconfig K]]',
  '       docker-credential-eidf robot delete NAME --project P [--json]',
].join('\n');
const SHORT_USAGE =
  'usage: docker-credential-eidf robot list|create|import|rotate|delete … --project P (see robot --help)';

const COMMON = { project: { type: 'string', short: 'p' }, json: { type: 'boolean' } } as const;
const OPTIONS = {
  list: COMMON,
  create: { ...COMMON, days: { type: 'string' } },
  import: { ...COMMON, 'secret-stdin': { type: 'boolean' } },
  rotate: { ...COMMON, ...DELIVERY_OPTIONS },
  delete: COMMON,
} as const;
type Action = keyof typeof OPTIONS;

/**
 * `robot list|create|import|rotate|delete` for one Harbor project, through the agent (which holds the login
 * and keeps robot secrets in the store). Tables and `--json` go to stdout; notes and expiry warnings to
 * stderr. Secrets are never printed: `rotate --apply` pipes the new one to `kubectl apply -f -` only;
 * `import` reads one from stdin (never argv), for robots someone else created (maintainers cannot).
 */
export async function robotCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || action === 'help') {
    deps.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (action === undefined || !Object.hasOwn(OPTIONS, action)) throw new EidfError('USAGE', SHORT_USAGE);
  const { values, positionals } = parseStrict(rest, OPTIONS[action as Action], SHORT_USAGE, true);
  const project = stringFlag(values, 'project');
  if (project === undefined) throw new EidfError('USAGE', `--project is required; ${SHORT_USAGE}`);
  validateProjectName(project);
  const agent = connectAgent(config, deps);
  const json = values.json === true;

  if (action === 'list') {
    if (positionals.length > 0) throw new EidfError('USAGE', `robot list takes no name; ${SHORT_USAGE}`);
    const list = await agent.call('GET /v1/robots', { project });
    writeList(list, json, deps);
    return EXIT.ok;
  }

  if (positionals.length !== 1)
    throw new EidfError('USAGE', `robot ${action} needs exactly one robot NAME; ${SHORT_USAGE}`);
  const robot = positionals[0];
  validateRobotName(robot);

  if (action === 'create') {
    const days = daysFlag(values);
    if (days !== undefined) validateRobotDays(days);
    const { robot: made } = await agent.call('POST /v1/robots/create', { project, robot, days });
    deps.stderr.write(
      `created robot ${made.fullName} (pull only), expires ${expiryNote(made.expiresAt, deps.clock.now()).text}; its secret is kept by the agent: use export-k8s --project ${project} --robot ${robot}\n`,
    );
    if (json) deps.stdout.write(`${JSON.stringify(made, null, 2)}\n`);
    return EXIT.ok;
  }
  if (action === 'import') {
    if (values['secret-stdin'] !== true)
      throw new EidfError(
        'USAGE',
        'robot import reads the secret from stdin: give --secret-stdin (never the secret as an argument)',
      );
    const secret = new TextDecoder().decode(await deps.stdin()).trim();
    if (secret === '' || /\s/.test(secret))
      throw new EidfError('BAD_INPUT', 'expected the robot secret as one line on stdin');
    const { robot: kept } = await agent.call('POST /v1/robots/import', {
      project,
      robot,
      secret,
    });
    const note = expiryNote(kept.expiresAt, deps.clock.now());
    const expires = kept.expiryKnown
      ? `expires ${note.text}`
      : 'expiry unknown (Harbor tells it only to a logged-in user: ask whoever gave it to you)';
    deps.stderr.write(
      `imported the secret of robot ${kept.fullName} (Harbor accepts it), ${expires}; it is kept by the agent: use export-k8s --project ${project} --robot ${robot}\n`,
    );
    if (kept.expiryKnown && (note.expired || note.soon))
      deps.stderr.write(
        `warning: robot ${kept.fullName} ${note.expired ? 'has expired' : `expires within ${EXPIRY_WARNING_DAYS} days`}: ask a project admin to extend or replace it\n`,
      );
    if (json) deps.stdout.write(`${JSON.stringify(kept, null, 2)}\n`);
    return EXIT.ok;
  }
  if (action === 'delete') {
    const deleted = await agent.call('POST /v1/robots/delete', { project, robot });
    deps.stderr.write(
      `deleted robot ${deleted.deleted}${deleted.secretRemoved ? ' and the secret kept for it' : ''}\n`,
    );
    if (json) deps.stdout.write(`${JSON.stringify(deleted, null, 2)}\n`);
    return EXIT.ok;
  }
  return rotate(project, robot, values, json, deps, config, agent);
}

async function rotate(
  project: string,
  robot: string,
  values: StrictArgs['values'],
  json: boolean,
  deps: CliDeps,
  config: Config,
  agent: ReturnType<typeof connectAgent>,
): Promise<number> {
  const { delivery, format } = deliveryFrom(values);
  const namespace = stringFlag(values, 'namespace');
  const name = stringFlag(values, 'name') ?? DEFAULT_SECRET_NAME;
  if (
    delivery.kind === 'stdout' &&
    (namespace !== undefined || stringFlag(values, 'name') !== undefined || stringFlag(values, 'output') !== undefined)
  ) {
    throw new EidfError(
      'USAGE',
      'robot rotate prints no secret: --namespace, --name and -o are used with --apply or --output-file',
    );
  }
  if (delivery.kind !== 'stdout') {
    if (namespace === undefined) throw new EidfError('USAGE', '--namespace is required with --apply or --output-file');
    validateNamespace(namespace);
    validateSecretName(name);
    checkKubectlAvailable(delivery, deps.env);
  }
  const rotated = await agent.call('POST /v1/robots/rotate', { project, robot });
  deps.stderr.write(
    `rotated the secret of ${rotated.username}: the old secret no longer works; the new one is kept by the agent\n`,
  );
  let delivered = false;
  if (delivery.kind !== 'stdout' && namespace !== undefined) {
    const manifest = renderPullSecret(
      { name, namespace, server: config.registry, username: rotated.username, password: rotated.secret },
      format,
    );
    try {
      await deliverManifest(manifest, delivery, deps, `Secret ${name} (namespace ${namespace})`);
    } catch (err) {
      const retry = `export-k8s --project ${project} --robot ${robot} --namespace ${namespace} --name ${name}`;
      throw new EidfError(
        err instanceof EidfError ? err.code : 'INTERNAL',
        `rotated ${rotated.username}, but the Secret was not updated (${oneLine(err)}); retry with: ${retry}`,
        { cause: err },
      );
    }
    delivered = true;
  }
  if (json)
    deps.stdout.write(
      `${JSON.stringify({ robot: rotated.username, expiresAt: rotated.expiresAt, secretUpdated: delivered }, null, 2)}\n`,
    );
  return EXIT.ok;
}

function writeList(list: RobotList, json: boolean, deps: CliDeps): void {
  const now = deps.clock.now();
  if (json) {
    deps.stdout.write(`${JSON.stringify(list.robots, null, 2)}\n`);
  } else if (list.robots.length === 0) {
    deps.stderr.write(`no robot accounts in project ${list.project.name}\n`);
  } else {
    deps.stdout.write(table(list.robots, now));
  }
  for (const robot of list.robots) {
    const note = expiryNote(robot.expiresAt, now);
    if (note.expired) deps.stderr.write(`warning: robot ${robot.fullName} has expired\n`);
    else if (note.soon)
      deps.stderr.write(`warning: robot ${robot.fullName} expires within ${EXPIRY_WARNING_DAYS} days (${note.text})\n`);
  }
}

/** Aligned columns: NAME, USERNAME, EXPIRES, STATUS, SECRET (kept here or not), ACCESS. */
function table(robots: RobotView[], now: number): string {
  const rows = [['NAME', 'USERNAME', 'EXPIRES', 'STATUS', 'SECRET', 'ACCESS']];
  for (const robot of robots) {
    const note = expiryNote(robot.expiresAt, now);
    const status = robot.disabled ? 'disabled' : note.expired ? 'expired' : note.soon ? 'expiring' : 'active';
    const access = robot.permissions.flatMap((p) => p.access.map((a) => `${a.resource}:${a.action}`)).join(',');
    rows.push([robot.name, robot.fullName, note.text, status, robot.secretKept ? 'kept' : '-', access || '-']);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return (
    rows
      .map((row) =>
        row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '),
      )
      .join('\n') + '\n'
  );
}
