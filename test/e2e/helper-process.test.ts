import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedHome, runCli, type CliResult } from '../helpers/cli.ts';
import { runInProcess } from '../helpers/headless.ts';
import { connectionQueued } from '../helpers/listen-queue.ts';

/** The pid of the agent that answers (started as a real process when none does); `status` itself runs in-process. */
async function agentPid(env: NodeJS.ProcessEnv): Promise<number> {
  // Exit 4 (not logged in) is expected here: only the agent's pid matters.
  const status = await runInProcess(['status', '--json'], { env });
  assert.ok(status.code === 0 || status.code === 4, status.stderr);
  return JSON.parse(status.stdout).agent.pid as number;
}

function assertOneLineError(result: CliResult, message: string | RegExp) {
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^[^\n]+\n$/);
  if (typeof message === 'string') assert.equal(result.stdout, `${message}\n`);
  else assert.match(result.stdout, message);
}

describe('the helper as a process, with its agent', () => {
  const ctx = isolatedHome();
  after(() => ctx.cleanup());

  it('get of an unknown registry prints exactly the not-found text, exit 1 (starting the agent)', async () => {
    const result = await runCli(['get'], { env: ctx.env, input: 'registry.example' });
    assert.deepEqual(result, { code: 1, stdout: 'credentials not found in native keychain\n', stderr: '' });
    assert.ok(existsSync(join(ctx.home, 'run', 'agent.sock')));
    assert.equal(statSync(join(ctx.home, 'run')).mode & 0o777, 0o700);
    assert.equal(statSync(join(ctx.home, 'run', 'agent.sock')).mode & 0o777, 0o600);
  });

  it('store, get under every spelling Docker uses, list, erase', async () => {
    const stored = await runCli(['store'], {
      env: ctx.env,
      input: '{"ServerURL":"https://reg.example:5000","Username":"alice","Secret":"pw-1"}',
    });
    assert.deepEqual(stored, { code: 0, stdout: '', stderr: '' });
    for (const key of [
      'reg.example:5000',
      'https://reg.example:5000',
      'https://reg.example:5000/v2/',
      'http://reg.example:5000/',
    ]) {
      const got = await runCli(['get'], { env: ctx.env, input: key });
      assert.equal(got.stdout, `${JSON.stringify({ ServerURL: key, Username: 'alice', Secret: 'pw-1' })}\n`);
    }
    assertOneLineError(
      await runCli(['get'], { env: ctx.env, input: 'reg.example' }),
      'credentials not found in native keychain',
    );
    assert.equal((await runCli(['list'], { env: ctx.env })).stdout, '{"reg.example:5000":"alice"}\n');
    for (const key of ['reg.example:5000', 'reg.example:5000', 'http://reg.example:5000', 'https://reg.example:5000']) {
      assert.deepEqual(await runCli(['erase'], { env: ctx.env, input: key }), { code: 0, stdout: '', stderr: '' });
    }
    assertOneLineError(
      await runCli(['get'], { env: ctx.env, input: 'reg.example:5000' }),
      'credentials not found in native keychain',
    );
  });

  const badInputs: Array<[string, string[], string | Uint8Array, string | RegExp]> = [
    ['truncated JSON', ['store'], '{"ServerURL":"r","Username":', 'credentials on stdin are not valid JSON'],
    ['missing ServerURL', ['store'], '{"Username":"u","Secret":"s"}', 'no credentials server URL'],
    ['missing Username', ['store'], '{"ServerURL":"r","Secret":"s"}', 'no credentials username'],
    ['empty stdin on store', ['store'], '', 'no credentials on stdin: expected {"ServerURL","Username","Secret"}'],
    [
      '1 MiB of stdin',
      ['store'],
      new Uint8Array(1024 * 1024).fill(0x61),
      'input too large: more than 65536 bytes on stdin',
    ],
    ['invalid UTF-8', ['store'], new Uint8Array([0xc3, 0x28]), 'input is not valid UTF-8'],
    [
      'extra arguments',
      ['get', 'extra'],
      'reg.example',
      /^Usage: docker-credential-eidf <store\|get\|erase\|list\|version>/,
    ],
  ];
  // The bad input goes to the helper as a process; the agent's store is set and read in-process.
  const storeKept = () =>
    runInProcess(['store'], { env: ctx.env, input: '{"ServerURL":"keep.example","Username":"k","Secret":"kept"}' });
  for (const [name, args, input, message] of badInputs) {
    it(`${name}: one line on stdout, exit 1, store unchanged`, async () => {
      assert.equal((await storeKept()).code, 0);
      const result = await runCli(args, { env: ctx.env, input });
      assertOneLineError(result, message);
      assert.equal((await runInProcess(['list'], { env: ctx.env })).stdout, '{"keep.example":"k"}\n');
    });
  }

  it('a broken setting is one line on stdout for protocol verbs and changes nothing', async () => {
    const result = await runCli(['get'], { env: { ...ctx.env, EIDF_STORE: 'vault' }, input: 'keep.example' });
    assertOneLineError(result, 'invalid configuration: EIDF_STORE must be one of auto, keychain, memory, file');
  });

  it('version, --version and -V agree; help and errors as a person sees them', async () => {
    const line = `docker-credential-eidf 0.1.0 (Node ${process.version}, ${process.platform}/${process.arch})\n`;
    for (const flag of ['version', '--version', '-V'])
      assert.deepEqual(await runCli([flag], { env: ctx.env }), { code: 0, stdout: line, stderr: '' });
    const help = await runCli(['robot', 'delete', '--help'], { env: ctx.env });
    assert.deepEqual([help.code, help.stderr], [0, '']);
    assert.match(help.stdout, /^Usage: docker-credential-eidf robot delete NAME --project P \[--json\]\n/);
    assert.deepEqual(await runCli(['logni'], { env: ctx.env }), {
      code: 2,
      stdout: '',
      stderr: "docker-credential-eidf: unknown command 'logni'; did you mean login?\n",
    });
    const none = await runCli([], { env: ctx.env });
    assert.deepEqual([none.code, none.stdout], [2, '']);
    assert.match(none.stderr, /^Usage: docker-credential-eidf COMMAND/);
  });
});

describe('agent lifecycle', () => {
  it('a killed agent leaves a stale socket; the next call cleans it up and starts one agent', async () => {
    const ctx = isolatedHome();
    try {
      const first = await agentPid(ctx.env);
      process.kill(first, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(existsSync(join(ctx.home, 'run', 'agent.sock')), 'the socket file outlives a SIGKILL');
      const result = await runCli(['get'], { env: ctx.env, input: 'reg.example' });
      assert.equal(result.stdout, 'credentials not found in native keychain\n');
      const second = await agentPid(ctx.env);
      assert.notEqual(second, first);
    } finally {
      await ctx.cleanup();
    }
  });

  it('ten helpers at once with no agent start exactly one', async () => {
    const ctx = isolatedHome();
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => runCli(['get'], { env: ctx.env, input: 'reg.example' })),
      );
      for (const r of results) assert.equal(r.stdout, 'credentials not found in native keychain\n', r.stderr);
      await agentPid(ctx.env);
      // Agents that lose the start race exit without listening; exactly one ever listened.
      const log = readFileSync(join(ctx.home, 'agent.log'), 'utf8');
      assert.equal(log.match(/ listening; store: /g)?.length, 1, log);
    } finally {
      await ctx.cleanup();
    }
  });

  it('an agent that dies mid-request: `get` (safe to repeat) asks a new agent; `store` gives one line and exit 1', async () => {
    const ctx = isolatedHome();
    try {
      const socket = join(ctx.home, 'run', 'agent.sock');
      const pid = await agentPid(ctx.env);
      process.kill(pid, 'SIGSTOP');
      const pending = runCli(['get'], { env: ctx.env, input: 'reg.example' });
      await connectionQueued(socket);
      process.kill(pid, 'SIGKILL');
      const got = await pending;
      // The memory store died with the agent: the new one honestly has nothing for reg.example.
      assert.deepEqual([got.code, got.stdout], [1, 'credentials not found in native keychain\n']);
      const second = await agentPid(ctx.env);
      assert.notEqual(second, pid, 'a new agent answered');

      process.kill(second, 'SIGSTOP');
      const stored = runCli(['store'], {
        env: ctx.env,
        input: JSON.stringify({ ServerURL: 'reg.example', Username: 'u', Secret: 's3cret' }),
      });
      await connectionQueued(socket);
      process.kill(second, 'SIGKILL');
      assertOneLineError(await stored, /^the agent (closed the connection|is not reachable)/);
    } finally {
      await ctx.cleanup();
    }
  });

  it('daemon start/stop', async () => {
    const ctx = isolatedHome();
    try {
      const started = await runCli(['daemon', 'start'], { env: ctx.env });
      assert.equal(started.code, 0);
      assert.match(started.stdout, /^agent 0\.1\.0 running \(pid \d+\)/);
      assert.equal(started.stderr, '');
      // The agent a process started; the commands that ask it, in-process.
      const status = await runInProcess(['daemon', 'status'], { env: ctx.env });
      assert.deepEqual([status.code, status.stdout, status.stderr], [0, started.stdout, '']);
      const stopped = await runInProcess(['daemon', 'stop'], { env: ctx.env });
      assert.deepEqual([stopped.stdout, stopped.stderr], ['agent stopped\n', '']);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(!existsSync(join(ctx.home, 'run', 'agent.sock')));
      assert.equal((await runInProcess(['daemon', 'stop'], { env: ctx.env })).stdout, 'no agent was running\n');
      assert.equal((await runCli(['daemon', 'status'], { env: ctx.env })).code, 3);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('unsafe agent folder', () => {
  let ctx: ReturnType<typeof isolatedHome>;
  before(() => {
    ctx = isolatedHome();
  });
  after(() => ctx.cleanup());

  it('refuses a runtime folder that is a symlink', async () => {
    const elsewhere = join(ctx.home, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, join(ctx.home, 'run'));
    const result = await runCli(['daemon', 'run'], { env: ctx.env });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^docker-credential-eidf: refusing to use .*\/run: it is a symlink owned by uid \d+\b[^;]*; remove it \(rm -r .*\/run\), or set XDG_RUNTIME_DIR[^\n]*\n$/,
    );
    rmSync(join(ctx.home, 'run'));
  });

  it('refuses a runtime folder owned by someone else', async () => {
    mkdirSync(join(ctx.home, 'run'), { mode: 0o700 });
    chownSync(join(ctx.home, 'run'), 4321, 4321);
    const result = await runCli(['daemon', 'run'], { env: ctx.env });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `refusing to use .*/run: it is owned by uid 4321, not by you \\(uid ${process.getuid!()}\\); have an administrator remove it`,
      ),
    );
  });
});

describe('agent log', () => {
  it('a log past 1 MiB moves to agent.log.1 when an agent starts; the new log begins empty', async () => {
    const ctx = isolatedHome();
    try {
      const big = 'x'.repeat(1024 * 1024 + 1);
      writeFileSync(join(ctx.home, 'agent.log'), big, { mode: 0o600 });
      await runCli(['daemon', 'start'], { env: ctx.env });
      assert.equal(readFileSync(join(ctx.home, 'agent.log.1'), 'utf8'), big);
      assert.match(readFileSync(join(ctx.home, 'agent.log'), 'utf8'), /^\S+ info agent 0\.1\.0 \(pid \d+\) listening/);
    } finally {
      await ctx.cleanup();
    }
  });
});
