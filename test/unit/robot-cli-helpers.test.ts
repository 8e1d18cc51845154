import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expiryNote } from '../../src/cli/commands/robot-expiry.ts';
import { daysFlag } from '../../src/cli/args.ts';
import { deliveryFrom } from '../../src/cli/commands/k8s-delivery.ts';
import { eidfError } from '../helpers/errors.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 10, 12);

const usage = (pattern: RegExp) => eidfError('USAGE', pattern);

describe('daysFlag', () => {
  test('-1 or whole days; absent is undefined', () => {
    assert.equal(daysFlag({ days: '-1' }), -1);
    assert.equal(daysFlag({ days: '30' }), 30);
    assert.equal(daysFlag({}), undefined);
  });

  test('--days must be a whole number', () => {
    for (const bad of ['ten', '1.5', '', '3d']) {
      assert.throws(() => daysFlag({ days: bad }), usage(/--days .* is not valid/));
    }
  });
});

describe('deliveryFrom', () => {
  test('stdout by default, file or apply on request, contradictions refused', () => {
    assert.deepEqual(deliveryFrom({}), { delivery: { kind: 'stdout' }, format: 'yaml' });
    assert.deepEqual(deliveryFrom({ output: 'json', 'output-file': '/tmp/x' }), {
      delivery: { kind: 'file', path: '/tmp/x' },
      format: 'json',
    });
    assert.deepEqual(deliveryFrom({ apply: true, context: 'c' }).delivery, {
      kind: 'apply',
      context: 'c',
      kubeconfig: undefined,
    });
    assert.throws(() => deliveryFrom({ output: 'xml' }), usage(/-o "xml" is not valid/));
    assert.throws(() => deliveryFrom({ apply: true, 'output-file': 'f' }), usage(/cannot be combined/));
    assert.throws(() => deliveryFrom({ context: 'c' }), usage(/only used with --apply/));
  });
});

describe('expiryNote', () => {
  test('never, expired, soon (within 14 days) and later', () => {
    assert.deepEqual(expiryNote(null, NOW), { text: 'never', expired: false, soon: false });
    assert.deepEqual(expiryNote(NOW - 1, NOW), { text: '2025-01-10 (expired)', expired: true, soon: false });
    assert.deepEqual(expiryNote(NOW + 2 * DAY + 5, NOW), {
      text: '2025-01-12 (in 2 days)',
      expired: false,
      soon: true,
    });
    assert.deepEqual(expiryNote(NOW + DAY, NOW), { text: '2025-01-11 (in 1 day)', expired: false, soon: true });
    assert.equal(expiryNote(NOW + 3_600_000, NOW).text, '2025-01-10 (today)');
    assert.equal(expiryNote(NOW + 14 * DAY, NOW).soon, true);
    assert.equal(expiryNote(NOW + 14 * DAY + 1, NOW).soon, false);
    assert.equal(expiryNote(NOW + 90 * DAY, NOW).text, '2025-04-10 (in 90 days)');
  });
});
