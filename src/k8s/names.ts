import { EidfError } from '../core/errors.ts';

/**
 * Kubernetes object-name rules, checked before anything is created or applied.
 * Same patterns and limits as k8s.io/apimachinery `validation.IsDNS1123Label` (namespaces) and
 * `IsDNS1123Subdomain` (Secret names, via `ValidateSecretName`).
 */

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL = new RegExp(`^${LABEL}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);

/** Longest namespace Kubernetes accepts (an RFC 1123 label). */
export const MAX_NAMESPACE_LENGTH = 63;
/** Longest Secret name Kubernetes accepts (an RFC 1123 subdomain). */
export const MAX_SECRET_NAME_LENGTH = 253;

/** Throws EidfError('USAGE') in one line when `namespace` is not an RFC 1123 label (≤ 63 characters). */
export function validateNamespace(namespace: string): void {
  check(
    'namespace',
    namespace,
    MAX_NAMESPACE_LENGTH,
    DNS1123_LABEL,
    'use lower-case letters, digits and "-", starting and ending with a letter or digit',
  );
}

/** Throws EidfError('USAGE') in one line when `name` is not an RFC 1123 subdomain (≤ 253 characters). */
export function validateSecretName(name: string): void {
  check(
    'secret name',
    name,
    MAX_SECRET_NAME_LENGTH,
    DNS1123_SUBDOMAIN,
    'use lower-case letters, digits, "-" and ".", each "."-separated part starting and ending with a letter or digit',
  );
}

function check(field: string, value: string, max: number, pattern: RegExp, rule: string): void {
  if (typeof value !== 'string' || value === '') throw new EidfError('USAGE', `${field} must not be empty`);
  const shown = show(value);
  if (value.length > max) {
    throw new EidfError('USAGE', `${field} ${shown} is too long: ${value.length} characters, at most ${max} allowed`);
  }
  if (!pattern.test(value)) throw new EidfError('USAGE', `${field} ${shown} is not valid: ${rule}`);
}

/** The value quoted and escaped (so the message stays one line), shortened when very long. */
function show(value: string): string {
  const cut = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(cut);
}
