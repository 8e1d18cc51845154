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
import { daysFlag, stringFlag, type FlagValues, type ParsedArgs } from '../args.ts';
import { DEFAULT_SECRET_NAME } from './export-k8s.ts';
import { checkKubectlAvailable, deliverManifest, deliveryFrom, type Delivery } from './k8s-delivery.ts';
import type { ManifestFormat } from '../../k8s/secret.ts';

/**
 * `robot list|create|import|rotate|delete` for one Harbor project, through the agent (which holds the login
 * and keeps robot secrets in the store). Reports (tables, what was done, or `--json`) go to stdout;
 * expiry warnings to stderr. Secrets are never printed: `rotate --apply` pipes the new one to `kubectl apply -f -` only;
 * `import` reads one from stdin (never argv), for robots someone else created (maintainers cannot).
 */
export async function robotCommand(args: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const { values, positionals } = args;
  const action = args.path[1];
  const project = stringFlag(values, 'project')!; // required by the table
  validateProjectName(project);
  const agent = connectAgent(config, deps);
  const json = values.json === true;
  // With --json, stdout carries the JSON alone and the sentence goes to stderr.
  const report = (line: string) => (json ? deps.stderr : deps.stdout).write(`${line}\n`);

  if (action === 'list') {
    const list = await agent.call('GET /v1/robots', { project });
    writeList(list, json, deps);
    return EXIT.ok;
  }

  const robot = shortRobotName(positionals[0], project);
  validateRobotName(robot);

  if (action === 'create') {
    const days = daysFlag(values);
    if (days !== undefined) validateRobotDays(days);
    const { robot: made } = await agent.call('POST /v1/robots/create', { project, robot, days });
    report(
      `created robot ${made.fullName} (pull only), expires ${expiryNote(made.expiresAt, deps.clock.now()).text}; its secret is kept by the agent: use export-k8s --project ${project} --robot ${robot}`,
    );
    if (json) deps.stdout.write(`${JSON.stringify(made, null, 2)}\n`);
    return EXIT.ok;
  }
  if (action === 'import') {
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
    report(
      `imported the secret of robot ${kept.fullName} (Harbor accepts it), ${expires}; it is kept by the agent: use export-k8s --project ${project} --robot ${robot}`,
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
    report(`deleted robot ${deleted.deleted}${deleted.secretRemoved ? ' and the secret kept for it' : ''}`);
    if (json) deps.stdout.write(`${JSON.stringify(deleted, null, 2)}\n`);
    return EXIT.ok;
  }
  return rotate(project, robot, values, json, deps, config, agent);
}

async function rotate(
  project: string,
  robot: string,
  values: FlagValues,
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
    await checkKubectlAvailable(delivery, deps.env);
  }
  const rotated = await agent.call('POST /v1/robots/rotate', { project, robot });
  (json ? deps.stderr : deps.stdout).write(
    `rotated the secret of ${rotated.username}: the old secret no longer works; the new one is kept by the agent\n`,
  );
  let delivered = false;
  if (delivery.kind !== 'stdout' && namespace !== undefined) {
    const manifest = renderPullSecret(
      {
        name,
        namespace,
        server: config.registry,
        credential: { Username: rotated.username, Secret: rotated.secret },
      },
      format,
    );
    try {
      await deliverManifest(manifest, delivery, deps, `Secret ${name} (namespace ${namespace})`);
    } catch (err) {
      const retry = retryCommand(project, robot, namespace, name, delivery, format);
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

/**
 * NAME as Harbor's short name: `k8s-pull`, or the full name every message shows
 * (`robot$demo+k8s-pull`), which must belong to `project`.
 */
export function shortRobotName(name: string, project: string): string {
  if (!name.startsWith('robot$')) return name;
  const prefix = `robot$${project}+`;
  if (name.startsWith(prefix) && name.length > prefix.length) return name.slice(prefix.length);
  throw new EidfError(
    'USAGE',
    `robot ${JSON.stringify(name.slice(0, 80))} is not a robot of project ${project}: give its short name or robot$${project}+NAME`,
  );
}

/**
 * The whole command that delivers the kept (rotated) secret again, as `robot rotate --apply` was asked
 * to: export-k8s with the same namespace, name, format and delivery, quoted for a POSIX shell.
 */
export function retryCommand(
  project: string,
  robot: string,
  namespace: string,
  name: string,
  delivery: Delivery,
  format: ManifestFormat,
): string {
  const args = ['export-k8s', '--project', project, '--robot', robot, '--namespace', namespace, '--name', name];
  if (format !== 'yaml') args.push('-o', format);
  if (delivery.kind === 'file') args.push('--output-file', delivery.path);
  if (delivery.kind === 'apply') {
    args.push('--apply');
    if (delivery.context !== undefined) args.push('--context', delivery.context);
    if (delivery.kubeconfig !== undefined) args.push('--kubeconfig', delivery.kubeconfig);
  }
  return [PROGRAM, ...args].map(shellQuote).join(' ');
}

const PROGRAM = 'docker-credential-eidf';

/** A word as a POSIX shell reads it back: bare when it is safe, else in single quotes. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function writeList(list: RobotList, json: boolean, deps: CliDeps): void {
  const now = deps.clock.now();
  if (json) {
    deps.stdout.write(`${JSON.stringify(list.robots, null, 2)}\n`);
  } else if (list.robots.length === 0) {
    deps.stdout.write(`no robot accounts in project ${list.project.name}\n`);
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
