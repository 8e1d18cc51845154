import { execFileSync } from 'node:child_process';

/**
 * Waits until a connection waits in a (stopped) server's listen queue: `ss` shows it as the unix
 * listener's Recv-Q. A SIGKILL from then on resets that connection: the case of a request sent just
 * as the agent died, made certain instead of left to timing.
 */
export async function connectionQueued(socket: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const fields = execFileSync('ss', ['-xlH', 'src', socket], { encoding: 'utf8' }).trim().split(/\s+/);
    if (Number(fields[2]) >= 1) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no connection reached ${socket}`);
}
