import { readFileSync } from 'node:fs';
import { EidfError, oneLine, errnoCode } from '../core/errors.ts';
import { agentCommand } from '../platform/runtime.ts';
import { processTerminal } from '../platform/terminal.ts';
import { VERSION } from '../version.ts';
import type { CliDeps } from './deps.ts';

/**
 * CliDeps from this process: the one place (with the entry files) that touches process.* .
 * `cliEntry` is the path of src/cli/main.ts, which starts the agent from a checkout.
 */
export function processDeps(cliEntry: string): CliDeps {
  return {
    env: process.env,
    uid: process.getuid?.() ?? 0,
    pid: process.pid,
    cwd: process.cwd(),
    platform: process.platform,
    clock: { now: () => Date.now() },
    fetch: (input, init) => fetch(input, init),
    stdin: async () => {
      // readFileSync(0) loads no stream machinery (a file on stdin would pull in fs/promises and
      // readline, ~5 ms); a non-blocking stdin answers EAGAIN, and then the stream reads it.
      try {
        return readFileSync(0);
      } catch (err) {
        if (errnoCode(err) !== 'EAGAIN') throw err;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true },
    stderr: {
      write: (text) => void process.stderr.write(text),
      isTTY: process.stderr.isTTY === true,
      get columns() {
        return process.stderr.columns;
      },
      get rows() {
        return process.stderr.rows;
      },
    },
    get terminal() {
      return processTerminal();
    },
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOENT') return undefined;
        // Only the config file is read this way: say which file, and what is wrong with it.
        const problem =
          code === 'EISDIR'
            ? 'is a folder, not a file; remove it or move it away'
            : `cannot be read (${code ?? oneLine(err)})`;
        throw new EidfError('CONFIG_INVALID', `invalid configuration: ${path} ${problem}`, { cause: err });
      }
    },
    // From a checkout the agent always runs from src/cli/main.ts (TypeScript), even when the helper
    // runs from the bundle; the single executable runs itself. A getter: only a helper that starts the
    // agent asks, so the `get` path never looks for node:sea.
    get agentCommand() {
      return agentCommand(process.execPath, cliEntry);
    },
    onTerminate: (handler) => {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
    version: VERSION,
  };
}
