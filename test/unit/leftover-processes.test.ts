import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { it } from 'node:test';
import { killProcessesWithEnv } from '../helpers/leftover-processes.ts';

it('killProcessesWithEnv kills the processes with that environment entry, and only those', async () => {
  const entry = `EIDF_TEST_MARK=${process.pid}-${Date.now()}`;
  const [name, value] = entry.split('=') as [string, string];
  const marked = spawn('sleep', ['30'], { env: { ...process.env, [name]: value }, stdio: 'ignore' });
  const other = spawn('sleep', ['30'], { env: { ...process.env, [name]: `${value}-other` }, stdio: 'ignore' });
  try {
    await Promise.all([once(marked, 'spawn'), once(other, 'spawn')]);
    assert.equal(killProcessesWithEnv(entry), 1);
    const [, signal] = (await once(marked, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGKILL');
    assert.equal(other.exitCode, null, 'the other process runs on');
  } finally {
    marked.kill('SIGKILL');
    other.kill('SIGKILL');
  }
});
