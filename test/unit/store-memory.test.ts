import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../src/store/memory.ts';

test('memory store keeps, lists, overwrites and deletes secrets', async () => {
  const store = new MemoryStore();
  assert.equal(store.kind, 'memory');
  assert.equal(await store.get('a'), null);
  await store.set('a', 'one');
  await store.set('b', 'two');
  await store.set('a', 'uno');
  assert.equal(await store.get('a'), 'uno');
  assert.deepEqual((await store.keys()).sort(), ['a', 'b']);
  assert.equal(await store.delete('a'), true);
  assert.equal(await store.delete('a'), false);
  assert.deepEqual(await store.keys(), ['b']);
});

test('two memory stores share nothing', async () => {
  const one = new MemoryStore();
  const two = new MemoryStore();
  await one.set('k', 'v');
  assert.equal(await two.get('k'), null);
});
