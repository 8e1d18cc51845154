import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay,
  DEFAULT_REFRESH_POLICY,
  isFreshEnough,
  nextRefreshAt,
  refreshMargin,
} from '../../src/core/refresh-policy.ts';

const T0 = 1_700_000_000_000; // a fixed "issued at"
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('refreshMargin', () => {
  const cases: Array<[string, number, number]> = [
    ['1 h token: 20% (12 min) capped at 5 min', 60 * MINUTE, 5 * MINUTE],
    ['5 min token: 20% = 60 s', 5 * MINUTE, 60 * SECOND],
    ['30 s token: 20% = 6 s raised to the 10 s floor', 30 * SECOND, 10 * SECOND],
    ['4 s token: the floor would exceed half-life, so half-life', 4 * SECOND, 2 * SECOND],
    ['0 s token', 0, 0],
    ['negative lifetime (exp before iat)', -5 * SECOND, 0],
  ];
  for (const [name, lifetime, margin] of cases) {
    it(name, () => assert.equal(refreshMargin(lifetime), margin));
  }
});

describe('nextRefreshAt', () => {
  const cases: Array<[string, { lifetime: number; now: number; random: number }, number]> = [
    ['1 h token, no jitter: 5 min before expiry', { lifetime: 60 * MINUTE, now: T0, random: 0 }, T0 + 55 * MINUTE],
    [
      '1 h token, half jitter: 15 s earlier still',
      { lifetime: 60 * MINUTE, now: T0, random: 0.5 },
      T0 + 55 * MINUTE - 15 * SECOND,
    ],
    [
      '5 min token, full jitter: 60 s + 6 s before expiry',
      { lifetime: 5 * MINUTE, now: T0, random: 1 },
      T0 + 4 * MINUTE - 6 * SECOND,
    ],
    ['30 s token: 10 s before expiry', { lifetime: 30 * SECOND, now: T0, random: 0 }, T0 + 20 * SECOND],
    ['4 s token: at half-life', { lifetime: 4 * SECOND, now: T0, random: 0 }, T0 + 2 * SECOND],
    ['now inside the margin: at once', { lifetime: 60 * MINUTE, now: T0 + 58 * MINUTE, random: 0 }, T0 + 58 * MINUTE],
    [
      'clock jumped past expiry: at once',
      { lifetime: 60 * MINUTE, now: T0 + 3 * 60 * MINUTE, random: 0.7 },
      T0 + 3 * 60 * MINUTE,
    ],
    [
      'random out of range is clamped (no refresh after expiry)',
      { lifetime: 5 * MINUTE, now: T0, random: -3 },
      T0 + 4 * MINUTE,
    ],
    ['NaN random counts as 0', { lifetime: 5 * MINUTE, now: T0, random: Number.NaN }, T0 + 4 * MINUTE],
  ];
  for (const [name, { lifetime, now, random }, expected] of cases) {
    it(name, () => assert.equal(nextRefreshAt({ issuedAt: T0, expiresAt: T0 + lifetime }, now, random), expected));
  }

  it('never schedules after expiry for any random draw', () => {
    for (const random of [0, 0.25, 0.5, 0.999999, 1]) {
      for (const lifetime of [SECOND, 4 * SECOND, 30 * SECOND, 5 * MINUTE, 24 * 60 * MINUTE]) {
        const at = nextRefreshAt({ issuedAt: T0, expiresAt: T0 + lifetime }, T0, random);
        assert.ok(at >= T0 && at <= T0 + lifetime, `lifetime ${lifetime}, random ${random}: ${at - T0}`);
      }
    }
  });
});

describe('backoffDelay', () => {
  const cases: Array<[number, number, number]> = [
    // failures, random, delay
    [1, 0, 2 * SECOND],
    [2, 0, 4 * SECOND],
    [3, 0, 8 * SECOND],
    [8, 0, 256 * SECOND],
    [9, 0, 5 * MINUTE], // 512 s capped
    [100, 0, 5 * MINUTE],
    [10_000, 0, 5 * MINUTE], // 2 ** 9999 overflows to Infinity, still capped
    [1, 0.5, 1_800], // shortened by 10%
    [9, 1, 4 * MINUTE], // cap shortened by the full 20%
    [0, 0, 2 * SECOND], // nonsense counts as the first failure
  ];
  for (const [failures, random, delay] of cases) {
    it(`failure ${failures}, random ${random} → ${delay} ms`, () =>
      assert.equal(backoffDelay(failures, random), delay));
  }

  it('grows monotonically up to the cap when jitter is fixed', () => {
    let previous = 0;
    for (let n = 1; n <= 20; n++) {
      const delay = backoffDelay(n, 0.3);
      assert.ok(delay >= previous && delay <= DEFAULT_REFRESH_POLICY.backoffCapMs);
      previous = delay;
    }
  });

  it("takes another policy's base and cap (the secret keeper's: 5 s up to its check interval)", () => {
    const keeper = { backoffBaseMs: 5 * SECOND, backoffCapMs: MINUTE, backoffJitterFraction: 0.2 };
    assert.deepEqual(
      [1, 2, 4, 5, 50].map((n) => backoffDelay(n, 0, keeper)),
      [5 * SECOND, 10 * SECOND, 40 * SECOND, MINUTE, MINUTE],
    );
    assert.equal(backoffDelay(1, 1, keeper), 4 * SECOND);
  });
});

describe('isFreshEnough', () => {
  const hour = { issuedAt: T0, expiresAt: T0 + 60 * MINUTE };
  const short = { issuedAt: T0, expiresAt: T0 + 4 * SECOND };
  const cases: Array<[string, typeof hour, number, boolean]> = [
    ['1 h token, just issued', hour, T0, true],
    ['1 h token, 6 s left', hour, hour.expiresAt - 6 * SECOND, true],
    ['1 h token, 5 s left', hour, hour.expiresAt - 5 * SECOND, false],
    ['4 s token, 1.001 s left (a quarter of its life is the bar)', short, T0 + 2_999, true],
    ['4 s token, 1 s left', short, T0 + 3_000, false],
    ['clock jumped past expiry', hour, hour.expiresAt + 60 * MINUTE, false],
  ];
  for (const [name, token, now, fresh] of cases) {
    it(name, () => assert.equal(isFreshEnough(token, now), fresh));
  }
});
