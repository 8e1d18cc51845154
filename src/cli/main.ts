import { readFileSync } from 'node:fs';
import { VERSION } from '../version.ts';
import type { CliDeps } from './deps.ts';
import { run } from './run.ts';

/**
 * The composition root: the only module that touches process.* . Everything else receives what
 * it needs through CliDeps.
 */
const deps: CliDeps = {
  env: process.env,
  uid: process.getuid?.() ?? 0,
  pid: process.pid,
  clock: { now: () => Date.now() },
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true },
  stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
  readText: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  selfCommand: [process.execPath, ...process.execArgv, process.argv[1]!],
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

process.exitCode = await run(process.argv.slice(2), deps);
