import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { logRotator, rotateLogAtStart } from '../../src/platform/log-rotation.ts';

/** A log file opened for appending, as spawn-agent.ts hands it to the agent as stderr. */
function appendLog(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'eidf-log-'));
  const path = join(dir, 'agent.log');
  const fd = openSync(path, 'a', 0o600);
  t.after(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, fd };
}

test('a running agent rotates its log by size, keeping one previous file', (t) => {
  const { path, fd } = appendLog(t);
  const rotate = logRotator(fd, path, 100);
  assert.ok(rotate, 'the fd is the log file');
  const write = (line: string) => {
    rotate(Buffer.byteLength(line));
    writeSync(fd, line);
  };
  const lines = Array.from({ length: 12 }, (_, i) => `line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}\n`); // 29 bytes each
  for (const line of lines) write(line);
  // 3 lines fit in 100 bytes: lines 0-2, 3-5, 6-8 went by, 9-11 are current; .1 holds the last full file.
  assert.equal(readFileSync(path, 'utf8'), lines.slice(9).join(''));
  assert.equal(readFileSync(`${path}.1`, 'utf8'), lines.slice(6, 9).join(''));
  assert.equal(statSync(`${path}.1`).mode & 0o777, 0o600);
  assert.ok(statSync(path).size <= 100);
});

test('no rotation when stderr is not the log file (a terminal, journald)', (t) => {
  const { path } = appendLog(t);
  const other = appendLog(t);
  assert.equal(logRotator(other.fd, path, 100), undefined);
});

test('at agent start a log past the limit is moved aside', (t) => {
  const { path, fd } = appendLog(t);
  writeSync(fd, 'y'.repeat(150));
  rotateLogAtStart(path, 100);
  assert.equal(readFileSync(`${path}.1`, 'utf8'), 'y'.repeat(150));
  rotateLogAtStart(path, 100); // no log now: nothing to do
});
