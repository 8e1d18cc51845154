import { EidfError } from '../core/errors.ts';

// Plain YAML scalars made only of [a-z0-9.-] that a YAML 1.1 or 1.2 parser would read as something other
// than a string. kubectl (go-yaml v2) double-quotes these; we quote the few extra listed in yamlName's doc.
const BOOL_OR_NULL = new Set(['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null']);
const NUMBER_OR_DATE = [
  /^[0-9]+$/, // decimal, and YAML 1.1 octal (0777)
  /^0x[0-9a-f]+$/,
  /^0o[0-7]+$/,
  /^0b[01]+$/,
  /^(\.[0-9]+|[0-9]+(\.[0-9]*)?)(e[-+]?[0-9]+)?$/, // float
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$/, // YAML 1.1 timestamp (date only: names have no ':' or ' ')
  /^e-?[0-9]+$/, // not a number for go-yaml, but the `yaml` npm package's 1.1 schema reads `e3` as a float
];

/**
 * A Kubernetes name (already checked by `names.ts`: only [a-z0-9.-], starting with a letter or digit) as a
 * YAML scalar: plain, like `eidf-pull`, unless it would read as a bool, null, number or date (`"123"`,
 * `"no"`, `"1e3"`, `"2024-01-31"`), then double-quoted — the same choice kubectl makes. Where the two
 * differ (hex too big for 64 bits, impossible dates such as `2024-13-45`, `e3`) we quote and kubectl does
 * not, because some YAML parser would misread kubectl's plain form. Nothing in that character set needs escaping inside double quotes.
 */
export function yamlName(name: string): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) {
    throw new EidfError('INTERNAL', 'yamlName called with a value that was not validated as a Kubernetes name');
  }
  const ambiguous = BOOL_OR_NULL.has(name) || NUMBER_OR_DATE.some((pattern) => pattern.test(name));
  return ambiguous ? `"${name}"` : name;
}
