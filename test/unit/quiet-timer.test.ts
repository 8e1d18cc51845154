import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuietTimer, RELEASE_AFTER_QUIET_MS } from '../../src/agent/server/quiet-timer.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';

function rig() {
  const timers = new ManualTimers();
  let now = 1_000_000;
  let releases = 0;
  // As run-agent.ts makes the memory release: a full GC once the agent is quiet for 30 s.
  const memory = new QuietTimer({
    timers,
    clock: { now: () => now },
    quietMs: RELEASE_AFTER_QUIET_MS,
    onQuiet: () => releases++,
  });
  return { timers, memory, releases: () => releases, advance: (ms: number) => (now += ms) };
}

test('no timer is armed while nothing happens', () => {
  const { timers } = rig();
  assert.equal(timers.pending.size, 0);
});

test('after a burst and 30 s of quiet, one release; then no timer until the next request', () => {
  const { timers, memory, releases, advance } = rig();
  for (let i = 0; i < 1000; i++) memory.activity();
  assert.equal(timers.pending.size, 1, 'one timer for the whole burst');
  assert.equal(timers.delay, RELEASE_AFTER_QUIET_MS);
  assert.equal(RELEASE_AFTER_QUIET_MS, 30_000);
  advance(30_000);
  timers.fire();
  assert.equal(releases(), 1);
  assert.equal(timers.pending.size, 0, 'nothing armed once released');
  memory.activity();
  assert.equal(timers.delay, 30_000, 'the next request arms it again');
});

test('a request during the wait moves the release to 30 s after it', () => {
  const { timers, memory, releases, advance } = rig();
  memory.activity();
  advance(20_000);
  memory.activity();
  assert.equal(timers.pending.size, 1, 'a request while armed arms nothing more');
  advance(10_000);
  timers.fire();
  assert.equal(releases(), 0, 'only 10 s of quiet so far');
  assert.equal(timers.delay, 20_000, 'armed for the rest of the quiet period');
  advance(20_000);
  timers.fire();
  assert.equal(releases(), 1);
  assert.equal(timers.pending.size, 0);
});

test('stop cancels the timer and arms no other', () => {
  const { timers, memory, releases } = rig();
  memory.activity();
  memory.stop();
  assert.equal(timers.pending.size, 0);
  memory.activity();
  assert.equal(timers.pending.size, 0);
  assert.equal(releases(), 0);
});
