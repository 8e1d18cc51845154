import { readFileSync } from 'node:fs';
import type { CliDeps } from '../../src/cli/deps.ts';
import { VERSION } from '../../src/version.ts';

/**
 * CliDeps for running commands in-process: output captured in `output`, no terminal, no agent
 * spawned (agentCommand is /bin/false), the real file system for reads. Override what a test needs.
 */
export function capturedCliDeps(overrides: Partial<CliDeps> & Pick<CliDeps, 'env' | 'cwd'>): {
  deps: CliDeps;
  output: { stdout: string; stderr: string };
} {
  const output = { stdout: '', stderr: '' };
  const deps: CliDeps = {
    uid: process.getuid!(),
    pid: process.pid,
    platform: process.platform,
    clock: { now: () => Date.now() },
    fetch: () => Promise.reject(new Error('no network here')),
    stdin: async () => new Uint8Array(),
    stdout: { write: (t) => void (output.stdout += t), isTTY: false },
    stderr: { write: (t) => void (output.stderr += t), isTTY: false },
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    agentCommand: ['/bin/false'],
    onTerminate: () => () => {},
    version: VERSION,
    ...overrides,
  };
  return { deps, output };
}
