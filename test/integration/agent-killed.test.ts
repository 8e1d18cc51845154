import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { AgentClient } from '../../src/agent/client/agent-client.ts';
import { EidfError } from '../../src/core/errors.ts';
import { connectionQueued } from '../helpers/listen-queue.ts';

/**
 * An agent killed with SIGKILL, then a request at once. Until the kernel has torn the process down its
 * listening socket is still open: connect succeeds, and the connection is then reset (ECONNRESET on
 * read), or, when the agent had already read the request, ends without a byte of answer. A request
 * safe to repeat (GET, credentials/get) must then find the agent gone and start a new one; one that may
 * have had an effect must not be sent twice. The agents here are real processes speaking HTTP on a unix
 * socket; the first one (started with `hang`) reads any request whose body says "hang" and never answers it.
 */
const FAKE_AGENT = `
const http = require('node:http');
const fs = require('node:fs');
const path = process.argv[1];
fs.rmSync(path, { force: true });
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (process.argv[2] === 'hang' && body.includes('"hang"')) return;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ pid: process.pid, path: req.url, body }));
  });
}).listen(path, () => process.stdout.write('ready\\n'));
`;

const dir = mkdtempSync(join(tmpdir(), 'eidf-killed-'));
const socketPath = join(dir, 'agent.sock');
const children: ChildProcess[] = [];
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function startAgent(mode = ''): Promise<{ pid: number; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['-e', FAKE_AGENT, socketPath, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { pid: child.pid!, exited };
}

/** A client as the CLI builds one, counting the agents it starts. */
function client(): { agent: AgentClient; starts: () => number } {
  let starts = 0;
  const agent = new AgentClient({
    socketPath,
    uid: process.getuid!(),
    version: 'test',
    spawnAgent: async () => {
      starts++;
      const { exited } = await startAgent();
      return { exited };
    },
  });
  return { agent, starts: () => starts };
}

describe('a request right after the agent was killed with SIGKILL', () => {
  it('GET: answered by a new agent, started once (10 kills in a row)', async () => {
    let agent = await startAgent();
    for (let round = 0; round < 10; round++) {
      const { agent: next, starts } = client();
      process.kill(agent.pid, 'SIGKILL');
      const answer = (await next.call('GET /v1/status')) as unknown as { pid: number };
      assert.notEqual(answer.pid, agent.pid, 'a new agent answered');
      assert.equal(starts(), 1);
      agent = { pid: answer.pid, exited: Promise.resolve() };
    }
  });

  it('callIfRunning GET: no agent (undefined), none started', async () => {
    const agent = await startAgent();
    const { agent: next, starts } = client();
    process.kill(agent.pid, 'SIGKILL');
    assert.equal(await next.callIfRunning('GET /v1/health'), undefined);
    assert.equal(starts(), 0);
  });

  it('a request that may have had an effect is not sent again: one clear error, no agent started', async () => {
    const agent = await startAgent();
    const { agent: next, starts } = client();
    // Stopped, it still holds its socket: the request is queued there when the kill comes (else the
    // kernel may have closed the socket first, and a request never delivered may go to a new agent).
    process.kill(agent.pid, 'SIGSTOP');
    const request = next.call('POST /v1/session/logout', {});
    await connectionQueued(socketPath);
    process.kill(agent.pid, 'SIGKILL');
    await assert.rejects(
      request,
      (err: unknown) =>
        err instanceof EidfError &&
        err.code === 'AGENT_UNREACHABLE' &&
        err.message === 'the agent closed the connection',
    );
    assert.equal(starts(), 0);
  });

  it('credentials/get the agent had read but not answered: repeated to a new agent', async () => {
    const agent = await startAgent('hang');
    const { agent: next, starts } = client();
    const pending = next.call('POST /v1/credentials/get', { registry: 'hang' });
    await wait(100); // the agent has read it and holds it
    process.kill(agent.pid, 'SIGKILL');
    const answer = (await pending) as unknown as { pid: number; path: string; body: string };
    assert.notEqual(answer.pid, agent.pid);
    assert.deepEqual([answer.path, JSON.parse(answer.body)], ['/v1/credentials/get', { registry: 'hang' }]);
    assert.equal(starts(), 1);
  });

  it('a POST the agent had read but not answered is not repeated', async () => {
    const agent = await startAgent('hang');
    const { agent: next, starts } = client();
    const pending = next.call('POST /v1/robots/delete', { project: 'p', robot: 'hang' });
    await wait(100);
    process.kill(agent.pid, 'SIGKILL');
    await assert.rejects(pending, { code: 'AGENT_UNREACHABLE' });
    assert.equal(starts(), 0);
  });
});

function wait(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
