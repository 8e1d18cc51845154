import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateNamespace, validateSecretName } from '../../src/k8s/names.ts';
import { eidfError } from '../helpers/errors.ts';

const label63 = 'a'.repeat(63);
const subdomain253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;

// [value, namespace ok?, secret name ok?]
const table: Array<[string, boolean, boolean]> = [
  ['default', true, true],
  ['eidf-pull', true, true],
  ['a', true, true],
  ['0', true, true],
  ['123', true, true],
  ['a-b-1', true, true],
  [label63, true, true],
  [`${label63}a`, false, true], // 64: too long for a label, fine for a subdomain
  ['registry.eidf.ac.uk', false, true], // dots: subdomain only
  [subdomain253, false, true],
  [`${subdomain253}d`, false, false], // 254
  [`${label63}a.b`, false, true], // Kubernetes limits only the whole subdomain, not each part
  ['', false, false],
  ['Eidf', false, false],
  ['-eidf', false, false],
  ['eidf-', false, false],
  ['eidf_pull', false, false],
  ['eidf pull', false, false],
  ['a..b', false, false],
  ['.a', false, false],
  ['a.', false, false],
  ['robot$demo+k8s-pull', false, false],
  ['naïve', false, false],
  ['a/b', false, false],
  ['line\nbreak', false, false],
];

for (const [value, namespaceOk, nameOk] of table) {
  test(`namespace ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…(${value.length})` : value)} is ${namespaceOk ? 'accepted' : 'refused'}`, () => {
    if (namespaceOk) validateNamespace(value);
    else assert.throws(() => validateNamespace(value), usageError('namespace'));
  });
  test(`secret name ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…(${value.length})` : value)} is ${nameOk ? 'accepted' : 'refused'}`, () => {
    if (nameOk) validateSecretName(value);
    else assert.throws(() => validateSecretName(value), usageError('secret name'));
  });
}

test('messages name the field and quote the bad value on one line', () => {
  assert.throws(() => validateNamespace('Bad_NS'), {
    message:
      'namespace "Bad_NS" is not valid: use lower-case letters, digits and "-", starting and ending with a letter or digit',
  });
  assert.throws(() => validateSecretName('line\nbreak'), { message: /^secret name "line\\nbreak" is not valid/ });
  assert.throws(() => validateNamespace(`${label63}a`), {
    message: /^namespace "a{64}" is too long: 64 characters, at most 63 allowed$/,
  });
  assert.throws(() => validateSecretName(''), { message: 'secret name must not be empty' });
  // A huge value is shortened in the message.
  assert.throws(
    () => validateSecretName('X'.repeat(5000)),
    (err: Error) => err.message.length < 200,
  );
});

const usageError = (field: string) => eidfError('USAGE', new RegExp(`^${field} `));
