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
 * Runs a command, printing `$ command` and its output indented. `input` is fed on stdin and never
 * printed (it may be a password). Throws when the exit code differs from `expect`.
 */
export async function show(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; expect?: number; display?: string; quiet?: boolean },
): Promise<ShownResult> {
  process.stdout.write(`   \x1b[2m$ ${options.display ?? [command, ...args].join(' ')}\x1b[0m\n`);
  const result = await new Promise<ShownResult>((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
  if (!options.quiet) {
    for (const line of `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '')) {
      process.stdout.write(`     ${line}\n`);
    }
  }
  if (result.code !== (options.expect ?? 0)) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim().split('\n').pop()}`);
  }
  return result;
}
