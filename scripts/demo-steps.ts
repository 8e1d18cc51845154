import { spawn } from 'node:child_process';

/**
 * Small helpers for the demo: numbered steps, commands shown before they run, their output
 * indented. Everything here is for people, so it all goes to stdout of the demo itself.
 */
let step = 0;

export function heading(text: string): void {
  step += 1;
  process.stdout.write(`\n\x1b[1m${step}. ${text}\x1b[0m\n`);
}

export function note(text: string): void {
  process.stdout.write(`   ${text}\n`);
}

export interface ShownResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command, printing `$ command` and its output indented, line by line as it comes. `input`
 * is fed on stdin and never printed (it may be a password). `whenOutput.then` runs once the output
 * so far matches `whenOutput.match` (what a person does while the command waits). Throws when the
 * exit code differs from `expect`.
 */
export async function show(
  command: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    input?: string;
    expect?: number;
    display?: string;
    quiet?: boolean;
    whenOutput?: { match: RegExp; then: () => Promise<void> };
  },
): Promise<ShownResult> {
  process.stdout.write(`   \x1b[2m$ ${options.display ?? [command, ...args].join(' ')}\x1b[0m\n`);
  let during: Promise<void> | undefined;
  const result = await new Promise<ShownResult>((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    const pending = { stdout: '', stderr: '' };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      output[stream] += chunk;
      const lines = (pending[stream] + chunk).split('\n');
      pending[stream] = lines.pop() ?? '';
      if (!options.quiet) printLines(lines);
      const when = options.whenOutput;
      if (when && !during && when.match.test(output.stdout + output.stderr)) {
        during = when.then().catch((err: unknown) => {
          child.kill();
          throw err;
        });
        during.catch(() => undefined); // awaited below, once the command ended
      }
    };
    child.stdout.setEncoding('utf8').on('data', collect('stdout'));
    child.stderr.setEncoding('utf8').on('data', collect('stderr'));
    child.on('error', reject);
    child.on('close', (code) => {
      if (!options.quiet) printLines([pending.stdout, pending.stderr]);
      resolve({ code, ...output });
    });
    child.stdin.end(options.input ?? '');
  });
  await during;
  if (result.code !== (options.expect ?? 0)) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim().split('\n').pop()}`,
    );
  }
  return result;
}

function printLines(lines: string[]): void {
  for (const line of lines) if (line.trim() !== '') process.stdout.write(`     ${line}\n`);
}
