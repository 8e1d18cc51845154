import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expiryNote } from '../../src/cli/commands/robot-expiry.ts';
import { daysFlag } from '../../src/cli/args.ts';
import { deliveryFrom } from '../../src/cli/commands/k8s-delivery.ts';
import { retryCommand, shortRobotName } from '../../src/cli/commands/robot.ts';
import { eidfError } from '../helpers/errors.ts';
import { useTimeZone } from '../helpers/time-zone.ts';

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
  useTimeZone('UTC');

  test('calendar days: --days 1 is "in 1 day" and --days 90 "in 90 days", seen just after creation, in any time zone', () => {
    // Harbor keeps whole seconds: a robot made at NOW + 0.7 s for N days expires at NOW + N days.
    for (const tz of ['UTC', 'Europe/London', 'Pacific/Auckland', 'America/Los_Angeles']) {
      process.env.TZ = tz;
      assert.match(expiryNote(NOW + DAY, NOW + 1_700).text, /\(in 1 day\)$/, tz);
      assert.match(expiryNote(NOW + 90 * DAY, NOW + 1_700).text, /\(in 90 days\)$/, tz);
    }
    process.env.TZ = 'UTC';
    assert.equal(expiryNote(NOW + 11 * 3_600_000, NOW).text, '2025-01-10 (today)', 'before midnight: today');
    assert.equal(expiryNote(NOW + 13 * 3_600_000, NOW).text, '2025-01-11 (in 1 day)', 'after midnight: tomorrow');
  });

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

describe('robot names and the retry hint', () => {
  test("the full name robot$<project>+<name> is taken as the short name; another project's is refused", () => {
    assert.equal(shortRobotName('k8s-pull', 'demo'), 'k8s-pull');
    assert.equal(shortRobotName('robot$demo+k8s-pull', 'demo'), 'k8s-pull');
    assert.throws(() => shortRobotName('robot$other+k8s-pull', 'demo'), usage(/is not a robot of project demo/));
    assert.throws(() => shortRobotName('robot$demo+', 'demo'), usage(/is not a robot of project demo/));
  });

  test('rotate --apply failed: the whole export-k8s command to paste, delivery flags kept, quoted for the shell', () => {
    assert.equal(
      retryCommand(
        'demo',
        'k8s-pull',
        'ns',
        'eidfreg',
        { kind: 'apply', context: 'dev cluster', kubeconfig: "/k/it's" },
        'json',
      ),
      "docker-credential-eidf export-k8s --project demo --robot k8s-pull --namespace ns --name eidfreg -o json --apply --context 'dev cluster' --kubeconfig '/k/it'\\''s'",
    );
    assert.equal(
      retryCommand('demo', 'k8s-pull', 'ns', 'pull', { kind: 'file', path: '/tmp/s.yaml' }, 'yaml'),
      'docker-credential-eidf export-k8s --project demo --robot k8s-pull --namespace ns --name pull --output-file /tmp/s.yaml',
    );
  });
});
