import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/**
 * Validates JSON bodies against Harbor's own OpenAPI 2.0 definitions, read from the shared
 * folder next to the repository (the spec is not copied into the repo). Stricter than the
 * spec on one point: no properties the definition does not list, so invented fields fail.
 */
const SPEC_PATH = fileURLToPath(new URL('../../../shared/harbor/swagger-v2.0.yaml', import.meta.url));

type Schema = Record<string, unknown>;

/**
 * Harbor's file has a multi-line single-quoted description whose continuation line is not
 * indented past its key; Go's YAML parser accepts that, the `yaml` package does not. Indent
 * such continuation lines by two spaces (text only; no schema content changes).
 */
function indentQuotedContinuations(text: string): string {
  let open = false;
  return text
    .split('\n')
    .map((line) => {
      const out = open ? `  ${line}` : line;
      const quotes = (open ? line : line.replace(/^[^']*?:\s*(?=')/, '')).split("'").length - 1;
      const startsQuoted = open || /^\s*[\w$-]+:\s*'/.test(line);
      if (startsQuoted && quotes % 2 === 1) open = !open;
      return out;
    })
    .join('\n');
}

function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (!node || typeof node !== 'object') return;
  const schema = node as Schema;
  if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
  for (const value of Object.values(schema)) closeObjects(value);
}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function compile(definition: string): ValidateFunction {
  if (!ajv) {
    const spec = parse(indentQuotedContinuations(readFileSync(SPEC_PATH, 'utf8'))) as { definitions: Schema };
    closeObjects(spec.definitions);
    ajv = new Ajv({ strict: false, allErrors: true });
    for (const format of ['int', 'int32', 'int64', 'uint64'])
      ajv.addFormat(format, { type: 'number', validate: Number.isInteger });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    ajv.addSchema({ $id: 'harbor', definitions: spec.definitions });
  }
  let validate = validators.get(definition);
  if (!validate) {
    validate = ajv.compile({ $ref: `harbor#/definitions/${definition}` });
    validators.set(definition, validate);
  }
  return validate;
}

/** Throws with Ajv's messages unless `body` matches `definitions[definition]` (or an array of it). */
export function assertMatchesSpec(body: unknown, definition: string, options: { array?: boolean } = {}): void {
  const validate = compile(definition);
  const items = options.array ? (Array.isArray(body) ? body : [Symbol('not an array')]) : [body];
  for (const item of items) {
    if (!validate(item)) {
      throw new Error(`body does not match ${definition}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(item)}`);
    }
  }
}
