import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import { EidfError, errnoCode, oneLine } from '../core/errors.ts';

export interface KubectlOptions {
  /** The kubectl program: a name looked up on `env.PATH`, or a path. Default `kubectl`. */
  kubectl?: string;
  /** Passed as `--context=<context>`. */
  context?: string;
  /** Passed as `--kubeconfig=<path>`. */
  kubeconfig?: string;
  /** kubectl's whole environment (PATH is also where `kubectl` is looked up). */
  env: NodeJS.ProcessEnv;
  /** Receives every line kubectl writes, from its stdout and its stderr, for people to read. */
  stderr: (line: string) => void;
}

/**
 * Runs `kubectl [--kubeconfig=Y] [--context=X] apply -f -` and writes `manifest` to its stdin.
 *
 * The manifest (it holds a secret) travels only on stdin: never in argv, never through a shell (spawn with
 * an argument array, so `$` in robot names or contexts is just a character). kubectl's stdout is passed
 * to `options.stderr` with its stderr, because our own stdout may be carrying data or protocol bytes.
 * Resolves when kubectl exits 0. Rejects with EidfError('KUBECTL_FAILED') when kubectl cannot be found or
 * started, exits non-zero, or is killed; what kubectl printed has been relayed by then.
 */
export function applyWithKubectl(manifest: string, options: KubectlOptions): Promise<void> {
  const program = options.kubectl ?? 'kubectl';
  const args = [
    ...(options.kubeconfig === undefined ? [] : [`--kubeconfig=${options.kubeconfig}`]),
    ...(options.context === undefined ? [] : [`--context=${options.context}`]),
    'apply',
    '-f',
    '-',
  ];
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: EidfError): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(program, args, {
        env: options.env,
        shell: false,
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      // Synchronous spawn failures: e.g. a NUL byte in an argument.
      finish(new EidfError('KUBECTL_FAILED', `could not run kubectl: ${describe(err)}`, { cause: err }));
      return;
    }
    const relays = [relayLines(child.stdout, options.stderr), relayLines(child.stderr, options.stderr)];
    child.on('error', (err) => {
      finish(new EidfError('KUBECTL_FAILED', notStarted(program, options.kubectl !== undefined, err), { cause: err }));
    });
    child.on('close', (code, signal) => {
      void Promise.all(relays).then(() => {
        if (code === 0) finish();
        else if (signal !== null) finish(new EidfError('KUBECTL_FAILED', `kubectl apply failed (killed by ${signal})`));
        else finish(new EidfError('KUBECTL_FAILED', `kubectl apply failed (exit ${code})`));
      });
    });
    // kubectl may exit before reading everything (bad flag, no cluster): its exit status tells what went
    // wrong, so a broken pipe here is not the error to report.
    child.stdin.on('error', () => {});
    child.stdin.end(manifest, 'utf8');
  });
}

function notStarted(program: string, explicit: boolean, err: unknown): string {
  const code = errnoCode(err);
  if (code === 'ENOENT') {
    return explicit
      ? `kubectl not found: ${JSON.stringify(program)} does not exist`
      : 'kubectl not found on PATH: install kubectl or give the path to it';
  }
  return `could not run kubectl ${JSON.stringify(program)}: ${describe(err)}`;
}

function describe(err: unknown): string {
  return errnoCode(err) ?? oneLine(err);
}

/** Calls `sink` once per line of `stream` (UTF-8; a last line without '\n' included); resolves at its end. */
function relayLines(stream: Readable, sink: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop()!;
      for (const line of lines) sink(line);
    });
    const end = (): void => {
      if (pending !== '') sink(pending);
      pending = '';
      resolve();
    };
    stream.on('end', end);
    stream.on('error', end);
  });
}
