import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { AGENT_V8_FLAGS, CACHE_NEUTRAL_V8_FLAGS } from '../../src/platform/runtime.ts';

/** Code caches Node's pinned binary rejects while loading `node:net` under these flags (V8's flag hash differs). */
function rejectedCodeCaches(flags: readonly string[]): number {
  const run = spawnSync(process.execPath, [...flags, '-e', 'require("node:net")'], {
    env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /Code cache of net .* is (accepted|rejected)/, 'Node reports its code cache');
  return (run.stderr.match(/ is rejected/g) ?? []).length;
}

test('the single executable bakes in only flags that keep code caches accepted', () => {
  assert.equal(rejectedCodeCaches(CACHE_NEUTRAL_V8_FLAGS), 0);
});

test('the checkout-only agent flags would make V8 reject code caches (so the executable does not take them)', () => {
  const others = AGENT_V8_FLAGS.filter((flag) => !(CACHE_NEUTRAL_V8_FLAGS as readonly string[]).includes(flag));
  assert.deepEqual(others, ['--optimize-for-size']);
  assert.ok(rejectedCodeCaches(others) > 0);
});
