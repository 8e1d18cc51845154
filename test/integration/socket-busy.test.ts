import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { socketRequest } from '../../src/agent/client/socket-http.ts';

/**
 * A busy agent: a real process listening on a unix socket with a backlog of 1 that does not accept
 * for 400 ms (its event loop is blocked), so the kernel refuses further connects with EAGAIN. The
 * helper's transport must wait that out within its time budget; "no agent" (ENOENT) is not retried.
 */
const BUSY_SERVER = `
const net = require('node:net');
const server = net.createServer((socket) => {
  socket.once('data', () => socket.end('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok'));
});
server.listen({ path: process.argv[1], backlog: 1 }, () => {
  process.stdout.write('ready\\n');
  setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400), 50);
});
`;

const dir = mkdtempSync(join(tmpdir(), 'eidf-busy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('socketRequest against a busy agent', () => {
  it('connects that fail with EAGAIN (backlog full) are retried within the budget: 40 of 40 answered', async () => {
    const path = join(dir, 'busy.sock');
    const server = spawn(process.execPath, ['-e', BUSY_SERVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => server.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 100)); // now inside the 400 ms block
      let retries = 0;
      const random = () => (retries++, 0.5);
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, () =>
          socketRequest(path, { method: 'GET', path: '/', headers: {}, timeoutMs: 5000 }, random),
        ),
      );
      const failed = results
        .filter((r) => r.status === 'rejected')
        .map((r) => (r.reason as NodeJS.ErrnoException).code);
      assert.deepEqual(failed, []);
      assert.ok(results.every((r) => r.status === 'fulfilled' && r.value.status === 200 && r.value.body === 'ok'));
      assert.ok(retries > 0, 'some connects met a full backlog and were retried');
    } finally {
      server.kill();
    }
  });

  it('no agent (ENOENT) fails at once, without a retry', async () => {
    let retries = 0;
    await assert.rejects(
      socketRequest(
        join(dir, 'absent.sock'),
        { method: 'GET', path: '/', headers: {}, timeoutMs: 5000 },
        () => (retries++, 0.5),
      ),
      { code: 'ENOENT' },
    );
    assert.equal(retries, 0);
  });
});
