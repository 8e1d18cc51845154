import { appendFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../../src/config.ts';
import type { CliDeps, TextOutput } from '../../src/cli/deps.ts';
import { run } from '../../src/cli/dispatch.ts';
import { processDeps } from '../../src/cli/process-deps.ts';
import { builtFromCurrent, isolatedHome, REPO_ROOT, type CliResult } from './cli.ts';

/**
 * The CLI without a process (kubelogin's NewCmdForHeadless is the model): `run(argv, deps)` from
 * src/cli/dispatch.ts with captured stdout and stderr, the given env and stdin, and a tty flag.
 * When the CLI needs its agent and none answers, the agent starts in this process too, through the
 * same `daemon run` code, listening on the home's real unix socket; its log lines go to the home's
 * agent.log as a spawned agent's would. Argument errors, output formats and exit codes are tested
 * here; what docker, signals and agent processes do stays with the real binary (helpers/cli.ts).
 */
export interface HeadlessOptions {
  /** The environment of this one run (default: the home's). */
  env?: NodeJS.ProcessEnv;
  /** Bytes on stdin. */
  input?: string;
  /** stdout and stderr are terminals; with `answers`, so is stdin, answering each question in turn. */
  tty?: boolean;
  answers?: string[];
  /** Past this the run is given up on: code null with the output so far (it cannot be killed). */
  timeoutMs?: number;
}

export interface HeadlessHome {
  home: string;
  env: NodeJS.ProcessEnv;
  /** One CLI invocation, in-process. */
  run(args: string[], options?: HeadlessOptions): Promise<CliResult>;
  /** What the in-process agents wrote (their agent.log). */
  agentLog(): string;
  /** Stops every agent this home started and removes the folder. */
  cleanup(): Promise<void>;
}

/**
 * What bin/ runs: the bundle when the build is current (npm test builds first), else the sources.
 * An agent this harness starts as a process runs from it, as one the launcher starts would: the
 * bundle starts with half the CPU of the sources.
 */
const CLI_ENTRY = bundleIsCurrent()
  ? join(REPO_ROOT, 'dist', 'docker-credential-eidf.cjs')
  : join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** bin/docker-credential-eidf's test: the stamp exists and no source is newer than it. */
function bundleIsCurrent(): boolean {
  if (!existsSync(join(REPO_ROOT, 'dist', 'docker-credential-eidf.cjs'))) return false;
  const sources = ['src', 'package-lock.json', 'scripts/build.ts'].map((p) => join(REPO_ROOT, p));
  return builtFromCurrent(join(REPO_ROOT, 'dist', 'build-stamp'), sources);
}
// The process facts of the real deps; env, stdin, stdout, stderr and the terminal are the harness's.
const { uid, pid, cwd, platform, clock, fetch, readText, agentCommand, version } = processDeps(CLI_ENTRY);

/** A private EIDF_HOME (as isolatedHome) whose commands run in this process. */
export function headlessHome(extraEnv: NodeJS.ProcessEnv = {}): HeadlessHome {
  const { home, env } = isolatedHome(extraEnv);
  const agents = new Set<{ stop(): void; done: Promise<unknown> }>();
  let log = '';

  const startAgent = (agentEnv: Env): Promise<{ exited: Promise<void> }> => {
    let stop: () => void = () => {};
    const logFile = join(agentEnv.EIDF_HOME ?? home, 'agent.log');
    const write = (text: string) => {
      log += text;
      appendFileSync(logFile, text, { mode: 0o600 });
    };
    const deps = cliDeps(agentEnv, { write, isTTY: false }, { write, isTTY: false }, {});
    deps.onTerminate = (handler) => {
      stop = handler;
      return () => {};
    };
    const agent = { stop: () => stop(), done: runAgent(deps) };
    agents.add(agent);
    const exited = agent.done.then(() => void agents.delete(agent));
    return Promise.resolve({ exited });
  };

  return {
    home,
    env,
    run: (args, options = {}) => runHeadless(args, { ...options, env: options.env ?? env }, startAgent),
    agentLog: () => log,
    cleanup: async () => {
      // Stops whichever agent answers (a docker-spawned helper may have started a real one), then the rest.
      await runHeadless(['daemon', 'stop'], { env }).catch(() => undefined);
      for (const agent of agents) agent.stop();
      await Promise.all([...agents].map((a) => a.done));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * The one place the harness builds its agent: the CLI's own `daemon run` in this process.
 * (When src/agent/server has `createAgent(deps)` for tests, this is the line to swap.)
 */
function runAgent(deps: CliDeps): Promise<number> {
  return run(['daemon', 'run'], deps);
}

/** `args` in-process against this user's agent, which starts as a real process when none answers. */
export function runInProcess(
  args: string[],
  options: HeadlessOptions & { env: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return runHeadless(args, options);
}

/**
 * Runs `args` in-process; an agent it needs starts through `startAgent`, by default as the real
 * detached process (`daemon run` of CLI_ENTRY), as the binary would start it.
 */
export async function runHeadless(
  args: string[],
  options: HeadlessOptions & { env: NodeJS.ProcessEnv },
  startAgent?: CliDeps['startAgent'],
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const tty = options.tty === true;
  const answers = [...(options.answers ?? [])];
  const deps = cliDeps(
    options.env,
    { write: (t) => void (stdout += t), isTTY: tty },
    { write: (t) => void (stderr += t), isTTY: tty },
    { input: options.input, ...(options.answers ? { ask: ask(answers, (t) => (stderr += t)) } : {}) },
  );
  if (startAgent) deps.startAgent = startAgent;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<null>((resolve) => {
    if (options.timeoutMs !== undefined) timer = setTimeout(() => resolve(null), options.timeoutMs);
  });
  try {
    const code = await Promise.race([run(args, deps), gaveUp]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

function ask(answers: string[], echo: (text: string) => void) {
  return (question: string): Promise<string> => {
    echo(question);
    const answer = answers.shift();
    if (answer === undefined) return Promise.reject(new Error(`headless: no answer left for ${question}`));
    echo('\n');
    return Promise.resolve(answer);
  };
}

function cliDeps(
  env: NodeJS.ProcessEnv,
  stdout: TextOutput,
  stderr: TextOutput,
  extra: { input?: string | undefined; ask?: (question: string) => Promise<string> },
): CliDeps {
  const ask = extra.ask;
  return {
    ...{ uid, pid, cwd, platform, clock, fetch, readText, agentCommand, version },
    env,
    stdin: () => Promise.resolve(Buffer.from(extra.input ?? '')),
    stdout,
    stderr,
    terminal: ask ? { ask: (question) => ask(question) } : undefined,
    onTerminate: () => () => {},
  };
}
