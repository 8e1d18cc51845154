import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { TokenRequest } from '../../scripts/sandbox/idp/server.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../scripts/sandbox/sandbox.ts';
import type { StatusReport } from '../../src/cli/commands/status.ts';
import { HELPER_BIN, isolatedHome, type CliResult } from '../helpers/cli.ts';
import { runInProcess } from '../helpers/headless.ts';

/**
 * Shared pieces of the login end-to-end tests (test/e2e/login-*.test.ts): the CLI as a running
 * process whose stderr can be watched, `status --json`, the file store, the agent log.
 */

export type Home = ReturnType<typeof isolatedHome>;

/** A home with the file store (the session must outlive the agent) and debug lines in agent.log. */
export function loginHome(sandboxEnv: Record<string, string>, extraEnv: NodeJS.ProcessEnv = {}): Home {
  return isolatedHome({ EIDF_STORE: 'file', EIDF_DEBUG: '1', EIDF_NO_BROWSER: '1', ...sandboxEnv, ...extraEnv });
}

/**
 * Registers before/after hooks for the enclosing describe: a sandbox (fast device polling, no
 * registry unless asked) and a login home on it, handed to `use` once started; both are stopped
 * and removed afterwards.
 */
export function useSandboxAndHome(use: (sandbox: Sandbox, home: Home) => void, options: SandboxOptions = {}): void {
  let sandbox: Sandbox | undefined;
  let home: Home | undefined;
  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05, registry: false, ...options });
    home = loginHome(sandbox.env);
    use(sandbox, home);
  });
  after(async () => {
    await home?.cleanup();
    await sandbox?.stop();
  });
}

/** A CLI process still running: its output so far, a way to wait for a line, and its end. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr (polls; rejects after `timeoutMs`). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<CliResult>;
}

/**
 * Starts `command args` (the helper by default) with `input` on stdin, without waiting for it.
 * `holdStdin` leaves stdin open after `input`, for the caller to write more.
 */
export function startCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; command?: string; timeoutMs?: number; holdStdin?: boolean },
): RunningCli {
  const child = spawn(options.command ?? HELPER_BIN, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {});
  if (options.holdStdin) child.stdin.write(options.input ?? '');
  else child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStderr: waitIn(() => stderr),
    done,
  };
}

/**
 * Runs the helper with stderr on a terminal (a pty from util-linux `script`), stdin from a file
 * holding `input`, stdout to a file. `stderr()` is what the terminal showed (CR LF line ends);
 * `done` resolves with the helper's exit code, the stdout file and the terminal text. What is
 * written to `child.stdin` is typed on the terminal (\x03 is Ctrl-C for its foreground processes).
 * With `stdinOnTerminal`, stdin is the terminal too (for prompts) and `input` is ignored.
 */
export function startOnTerminal(
  args: string[],
  options: { env: NodeJS.ProcessEnv; input: string; dir: string; stdinOnTerminal?: boolean },
): RunningCli {
  const id = randomUUID();
  const inFile = join(options.dir, `${id}.in`);
  const outFile = join(options.dir, `${id}.out`);
  writeFileSync(inFile, options.input);
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = `exec ${[HELPER_BIN, ...args].map(quote).join(' ')}${options.stdinOnTerminal ? '' : ` <${quote(inFile)}`} >${quote(outFile)}`;
  const running = startCli(['-qfec', command, '/dev/null'], { env: options.env, command: 'script', holdStdin: true });
  const done = running.done.then((r) => {
    const stdout = readFileSync(outFile, 'utf8');
    rmSync(inFile);
    rmSync(outFile);
    return { code: r.code, stdout, stderr: r.stdout };
  });
  // `script` relays the terminal to its own stdout: that is the helper's stderr here.
  return {
    child: running.child,
    stdout: () => '',
    stderr: running.stdout,
    waitForStderr: waitIn(running.stdout),
    done,
  };
}

function waitIn(text: () => string) {
  return (pattern: RegExp, timeoutMs = 30_000) =>
    waitFor(
      () => text().match(pattern) ?? undefined,
      timeoutMs,
      () => `no ${pattern} in:\n${text()}`,
    );
}

/** The device login's URL as `login` prints it (the line after "open:"). */
export const LOGIN_URL = /open:\r?\n\s+(http\S+)/;
/** The user code as `login` prints it. */
export const USER_CODE = /shows the code: (\S+)/;

/** Polls `probe` until it answers something other than undefined/false. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `status --json` (in-process, the agent a process): the parsed report and the exit code. */
export async function status(env: NodeJS.ProcessEnv): Promise<{ code: number | null; report: StatusReport }> {
  const result = await runInProcess(['status', '--json'], { env });
  assert.ok(result.code === 0 || result.code === 4, `status exit ${result.code}: ${result.stderr}`);
  return { code: result.code, report: JSON.parse(result.stdout) as StatusReport };
}

/** Runs `login --no-browser`, approves the printed URL as `user`, and checks it succeeded. */
export async function logInAs(
  env: NodeJS.ProcessEnv,
  approve: (url: string, user: string) => Promise<void>,
  user: string,
): Promise<CliResult> {
  const login = startCli(['login', '--no-browser'], { env });
  const [, url] = await login.waitForStderr(LOGIN_URL);
  await approve(url, user);
  const result = await login.done;
  assert.equal(result.code, 0, result.stderr);
  return result;
}

/** The stored refresh token (EIDF_STORE=file), or undefined. */
export function storedRefreshToken(home: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(home, 'secrets.json'), 'utf8');
  } catch {
    return undefined;
  }
  const { secrets } = JSON.parse(text) as { secrets: Record<string, string> };
  const key = Object.keys(secrets).find((k) => k.startsWith('oidc-refresh:'));
  return key === undefined ? undefined : secrets[key];
}

/** The agent's log (EIDF_DEBUG=1 adds one "ID token valid until" line per login or refresh). */
export function agentLog(home: string): string {
  try {
    return readFileSync(join(home, 'agent.log'), 'utf8');
  } catch {
    return '';
  }
}

/** The CLI client's refresh grants the IdP answered (counted at the IdP, not in any log). */
export function idpRefreshes(sandbox: Pick<Sandbox, 'idpTokenRequests' | 'cliClientId'>): TokenRequest[] {
  return sandbox
    .idpTokenRequests()
    .filter((r) => r.grantType === 'refresh_token' && r.clientId === sandbox.cliClientId);
}

/** The IdP's answer to a refresh grant with `refreshToken` for the CLI client. */
export async function refreshAtIdp(
  issuer: string,
  clientId: string,
  refreshToken: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    token_endpoint: string;
  };
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refreshToken,
    }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
