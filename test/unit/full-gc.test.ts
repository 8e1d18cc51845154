import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Script } from 'node:vm';
import { fullGc } from '../../src/platform/full-gc.ts';

// First: the code cache must be made before any fullGc() of this process changed a flag.
test('fullGc leaves the V8 flags as they were: a code cache made before it is still accepted', () => {
  const source = 'function answer() { return 42; } answer();';
  const cachedData = new Script(source, { filename: 'cached.js' }).createCachedData();
  fullGc();
  fullGc(); // the second call reuses the gc it found
  const again = new Script(source, { filename: 'cached.js', cachedData });
  assert.equal(again.cachedDataRejected, false);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'no gc() on the main global');
});

test('fullGc collects what nothing refers to', async () => {
  // Made in a function that returns only the WeakRef: nothing else refers to the object.
  const ref = ((): WeakRef<object> => new WeakRef({ payload: new Array(1000).fill('x') }))();
  await nextTurn(); // a WeakRef keeps its target alive until the current job ends
  assert.equal(fullGc(), true);
  assert.equal(ref.deref(), undefined);
});
