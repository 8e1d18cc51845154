import { EidfError } from '../core/errors.ts';
import type { RegistryCredential } from '../core/ports.ts';
import { renderDockerConfigJson } from './docker-config.ts';
import { validateNamespace, validateSecretName } from './names.ts';
import { yamlName } from './yaml-name.ts';

/** What goes into a pull Secret: its name, its namespace (omitted from metadata when undefined) and the login. */
export interface PullSecretSpec {
  name: string;
  namespace?: string;
  /** The registry, verbatim (`--docker-server`). */
  server: string;
  credential: RegistryCredential;
}

export type ManifestFormat = 'yaml' | 'json';

/** The Secret type Kubernetes uses for `imagePullSecrets`. */
export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';

/**
 * Renders a `kubernetes.io/dockerconfigjson` Secret manifest, byte for byte what
 * `kubectl create secret docker-registry NAME --docker-server=S --docker-username=U --docker-password=P
 * [-n NS] --dry-run=client -o yaml|json` prints (kubectl 1.32), including its trailing newline.
 *
 * `metadata.creationTimestamp: null` is kept, as kubectl always writes it: the output then equals kubectl's
 * exactly (people can diff the two), and the API server ignores the field on create and apply.
 *
 * Pure: reads and writes nothing. The returned text contains the password (base64) — it goes to
 * kubectl's stdin, a 0600 file, or stdout when asked, never into a log. Throws EidfError('USAGE') in
 * one line for an invalid name or namespace or an unusable login, before anything is rendered.
 */
export function renderPullSecret(spec: PullSecretSpec, format: ManifestFormat): string {
  validateSecretName(spec.name);
  if (spec.namespace !== undefined) validateNamespace(spec.namespace);
  const data = Buffer.from(renderDockerConfigJson(spec.server, spec.credential), 'utf8').toString('base64');
  switch (format) {
    case 'yaml':
      return yamlManifest(spec.name, spec.namespace, data);
    case 'json':
      return jsonManifest(spec.name, spec.namespace, data);
    default:
      throw new EidfError('USAGE', `unknown manifest format ${JSON.stringify(format)}: use yaml or json`);
  }
}

// kubectl -o yaml goes through JSON and a map, so keys come out sorted; base64 needs no quoting.
function yamlManifest(name: string, namespace: string | undefined, data: string): string {
  const lines = [
    'apiVersion: v1',
    'data:',
    `  .dockerconfigjson: ${data}`,
    'kind: Secret',
    'metadata:',
    '  creationTimestamp: null',
    `  name: ${yamlName(name)}`,
    ...(namespace === undefined ? [] : [`  namespace: ${yamlName(namespace)}`]),
    `type: ${DOCKER_CONFIG_JSON_TYPE}`,
  ];
  return `${lines.join('\n')}\n`;
}

// kubectl -o json keeps the Go struct's field order and indents by four spaces.
function jsonManifest(name: string, namespace: string | undefined, data: string): string {
  const secret = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name, ...(namespace === undefined ? {} : { namespace }), creationTimestamp: null },
    data: { '.dockerconfigjson': data },
    type: DOCKER_CONFIG_JSON_TYPE,
  };
  return `${JSON.stringify(secret, null, 4)}\n`;
}
