import type { Config } from '../../config.ts';
import { EidfError, oneLine } from '../../core/errors.ts';
import type { RegistryCredential } from '../../core/ports.ts';
import type { PullCredential } from '../../agent/api.ts';
import { validateProjectName } from '../../harbor/projects.ts';
import { validateRobotDays, validateRobotName } from '../../harbor/robots.ts';
import { validateNamespace, validateSecretName } from '../../k8s/names.ts';
import { renderPullSecret } from '../../k8s/secret.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';
import { expiryNote } from './robot-expiry.ts';
import { daysFlag, stringFlag, type ParsedArgs } from '../args.ts';
import { checkKubectlAvailable, deliverManifest, deliveryFrom } from './k8s-delivery.ts';

/** Secret name when `--name` is not given. */
export const DEFAULT_SECRET_NAME = 'eidfreg';

/**
 * `export-k8s`: a `kubernetes.io/dockerconfigjson` Secret for `config.registry`, printed on stdout, written
 * to a 0600 file (`--output-file`) or piped to `kubectl apply -f -` (`--apply`).
 *
 * The credential is a pull-only project robot, created through the agent on first use and reused after
 * (its secret is kept in the store); `--user` takes the user's own CLI secret instead, with a warning.
 * Every name is checked before the agent is asked for anything; if the robot was created by this run and
 * the Secret then cannot be delivered, the robot is deleted again so nothing half-done is left behind.
 * People-facing lines go to stderr; stdout carries only the manifest.
 */
export async function exportK8sCommand({ values }: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const namespace = stringFlag(values, 'namespace')!; // required by the table
  const name = stringFlag(values, 'name') ?? DEFAULT_SECRET_NAME;
  validateNamespace(namespace);
  validateSecretName(name);
  const { delivery, format } = deliveryFrom(values);
  const useUser = values.user === true;
  const project = stringFlag(values, 'project');
  const robot = stringFlag(values, 'robot');
  const days = daysFlag(values);
  if (useUser && (project !== undefined || robot !== undefined || days !== undefined)) {
    throw new EidfError(
      'USAGE',
      '--user exports your own credential: it cannot be combined with --project, --robot or --days',
    );
  }
  if (!useUser) {
    if (project === undefined)
      throw new EidfError('USAGE', 'export-k8s needs --project P (or --user for your own credential)');
    validateProjectName(project);
    if (robot !== undefined) validateRobotName(robot);
    if (days !== undefined) validateRobotDays(days);
  }
  await checkKubectlAvailable(delivery, deps.env);

  const agent = connectAgent(config, deps);
  let login: RegistryCredential;
  let created: PullCredential | undefined;
  if (useUser) {
    const own = await agent.call('POST /v1/credentials/get', {
      registry: config.registry,
    });
    login = { Username: own.Username, Secret: own.Secret };
    deps.stderr.write(
      `warning: exporting your own credential (${own.Username}): it stops working when your login session at Harbor ends; a project robot (--project) does not\n`,
    );
  } else {
    const credential = await agent.call('POST /v1/robots/pull-credential', {
      project: project ?? '', // checked above: --project is required without --user
      robot,
      days,
    });
    login = { Username: credential.username, Secret: credential.secret };
    if (credential.created) created = credential;
    const note = expiryNote(credential.expiresAt, deps.clock.now());
    const expires = credential.robotId === null ? 'expiry unknown (imported without a login)' : `expires ${note.text}`;
    deps.stderr.write(`${credential.created ? 'created' : 'using'} robot ${credential.username}, ${expires}\n`);
    if (note.soon)
      deps.stderr.write(
        `warning: robot ${credential.username} expires soon: ask a project admin to extend or replace it (a project admin can also robot delete, then export-k8s again)\n`,
      );
  }

  try {
    const manifest = renderPullSecret({ name, namespace, server: config.registry, credential: login }, format);
    await deliverManifest(manifest, delivery, deps, `Secret ${name} (namespace ${namespace})`);
  } catch (err) {
    if (created && project !== undefined) await undoCreation(agent, project, created, deps);
    throw err;
  }
  return EXIT.ok;
}

/** Deletes a robot this run created, after the export failed; says so on stderr either way. */
async function undoCreation(
  agent: ReturnType<typeof connectAgent>,
  project: string,
  created: PullCredential,
  deps: CliDeps,
): Promise<void> {
  const shortName = created.username.slice(created.username.lastIndexOf('+') + 1);
  try {
    await agent.call('POST /v1/robots/delete', { project, robot: shortName });
    deps.stderr.write(`deleted robot ${created.username} again, since the export failed\n`);
  } catch (err) {
    deps.stderr.write(`warning: could not delete robot ${created.username} after the failed export: ${oneLine(err)}\n`);
  }
}
