import { EidfError } from '../../core/errors.ts';
import { applyWithKubectl } from '../../k8s/kubectl.ts';
import { writeSecretFile } from '../../k8s/secret-file.ts';
import { lookPath } from '../../platform/look-path.ts';
import type { ManifestFormat } from '../../k8s/secret.ts';
import type { CliDeps } from '../deps.ts';
import { stringFlag, type FlagValues } from '../args.ts';

/** Where a rendered Secret goes: stdout (the command's output), a 0600 file, or `kubectl apply -f -`. */
export type Delivery =
  | { kind: 'stdout' }
  | { kind: 'file'; path: string }
  | { kind: 'apply'; context: string | undefined; kubeconfig: string | undefined };

/** Reads `-o`, `--output-file`, `--apply`, `--context`, `--kubeconfig`; refuses contradictory combinations. */
export function deliveryFrom(values: FlagValues): { delivery: Delivery; format: ManifestFormat } {
  const output = stringFlag(values, 'output') ?? 'yaml';
  if (output !== 'yaml' && output !== 'json')
    throw new EidfError('USAGE', `-o ${JSON.stringify(output)} is not valid: use yaml or json`);
  const file = stringFlag(values, 'output-file');
  const apply = values.apply === true;
  const context = stringFlag(values, 'context');
  const kubeconfig = stringFlag(values, 'kubeconfig');
  if (apply && file !== undefined)
    throw new EidfError('USAGE', '--apply and --output-file cannot be combined: choose one');
  if (!apply && (context !== undefined || kubeconfig !== undefined))
    throw new EidfError('USAGE', '--context and --kubeconfig are only used with --apply');
  if (file === '') throw new EidfError('USAGE', '--output-file needs a path');
  const delivery: Delivery = apply
    ? { kind: 'apply', context, kubeconfig }
    : file !== undefined
      ? { kind: 'file', path: file }
      : { kind: 'stdout' };
  return { delivery, format: output };
}

/**
 * Fails early (before anything is created in Harbor) when `--apply` is asked for and no executable
 * `kubectl` is on PATH. Reads the file system only.
 */
export async function checkKubectlAvailable(delivery: Delivery, env: CliDeps['env']): Promise<void> {
  if (delivery.kind !== 'apply' || (await lookPath('kubectl', env)) !== undefined) return;
  throw new EidfError(
    'KUBECTL_FAILED',
    'kubectl not found on PATH: install kubectl to use --apply, or write the Secret with --output-file',
  );
}

/**
 * Sends `manifest` (it holds a secret) where `delivery` says: stdout; a 0600 file; or kubectl's stdin
 * (never argv), with kubectl's own output relayed to stderr. Throws the EidfError of the failing step.
 */
export async function deliverManifest(
  manifest: string,
  delivery: Delivery,
  deps: CliDeps,
  what: string,
): Promise<void> {
  switch (delivery.kind) {
    case 'stdout':
      deps.stdout.write(manifest);
      return;
    case 'file':
      await writeSecretFile(delivery.path, manifest);
      deps.stderr.write(`wrote ${what} to ${delivery.path} (mode 0600)\n`);
      return;
    case 'apply':
      await applyWithKubectl(manifest, {
        context: delivery.context,
        kubeconfig: delivery.kubeconfig,
        env: { ...deps.env },
        stderr: (line) => deps.stderr.write(`kubectl: ${line}\n`),
      });
      deps.stderr.write(`applied ${what} with kubectl\n`);
  }
}
