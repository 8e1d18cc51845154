import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isolatedHome, runCli } from '../helpers/cli.ts';

/** A stand-in on the agent's socket that answers GET /v1/status with `body` (an agent of another build). */
async function oddAgent(home: string, body: unknown): Promise<Server> {
  mkdirSync(join(home, 'run'), { mode: 0o700, recursive: true });
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(join(home, 'run', 'agent.sock'), resolve));
  return server;
}

describe('status against an agent whose answer lacks fields', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'an empty object',
      {},
      /^the agent answered status without registry, oidc, session and \d+ more; restart it: docker-credential-eidf daemon stop\n$/,
    ],
    [
      'no registrySecret',
      {
        registry: 'r',
        oidc: null,
        session: null,
        agent: { pid: 42, version: '0.0.9', uptimeSeconds: 1, store: { kind: 'memory', reason: 'x' } },
      },
      /^the agent \(pid 42, version 0\.0\.9\) answered status without registrySecret, registrySecret\.state; restart it: docker-credential-eidf daemon stop\n$/,
    ],
    [
      'a session without state',
      {
        registry: 'r',
        oidc: null,
        session: {},
        registrySecret: { state: 'valid' },
        agent: { pid: 42, version: '0.0.9', uptimeSeconds: 1, store: { kind: 'memory', reason: 'x' } },
      },
      /^the agent \(pid 42, version 0\.0\.9\) answered status without session\.state; restart it/,
    ],
    ['a JSON array', [], /^the agent answered status without registry/],
  ];
  for (const [what, body, expected] of cases) {
    it(`${what}: one line about the agent, exit 1, no TypeError`, async () => {
      const ctx = isolatedHome();
      const server = await oddAgent(ctx.home, body);
      try {
        for (const args of [['status'], ['status', '--json']]) {
          const result = await runCli(args, { env: ctx.env });
          assert.equal(result.code, 1);
          assert.equal(result.stdout, '');
          assert.match(result.stderr, /^docker-credential-eidf: /);
          assert.match(result.stderr.replace(/^docker-credential-eidf: /, ''), expected);
          assert.doesNotMatch(result.stderr, /TypeError|undefined/);
        }
      } finally {
        server.close();
        await ctx.cleanup();
      }
    });
  }
});
