import type { Env } from '../config.ts';
import type { Clock, Fetch } from '../core/ports.ts';
import type { Terminal } from '../platform/terminal.ts';

/** Output streams as the CLI needs them; tests pass buffers. */
export interface TextOutput {
  write(text: string): void;
  /** True when a person is looking at it (a terminal). */
  isTTY: boolean;
  /** The terminal's size, when it is one and says (for the device login's QR code). */
  columns?: number | undefined;
  rows?: number | undefined;
}

/**
 * Everything the CLI takes from the process. `cli/main.ts` builds the real one; tests build
 * their own and call `run(argv, deps)` with temp folders and buffers.
 */
export interface CliDeps {
  env: Env;
  uid: number;
  pid: number;
  /** The working folder (relative DOCKER_CONFIG and friends are resolved against it). */
  cwd: string;
  platform: NodeJS.Platform;
  clock: Clock;
  fetch: Fetch;
  stdin(): Promise<Uint8Array>;
  stdout: TextOutput;
  stderr: TextOutput;
  /** Questions to the person at the terminal; absent when stdin or stderr is not a terminal. */
  terminal?: Terminal | undefined;
  /** Reads a small text file, undefined when it does not exist. */
  readText(path: string): string | undefined;
  /** argv prefix that runs this CLI again with the agent's Node flags (`… daemon run`). */
  agentCommand: readonly string[];
  /**
   * Starts the agent when none answers; absent: `agentCommand … daemon run` as a detached process.
   * Tests run it in their own process (test/helpers/headless.ts). `exited` settles if it ends.
   */
  startAgent?(env: Env): Promise<{ exited: Promise<void> }>;
  /** Registers a handler for SIGINT/SIGTERM; returns a function that removes it. */
  onTerminate(handler: () => void): () => void;
  version: string;
}
