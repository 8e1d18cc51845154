import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Waits until a connection waits in a (stopped) server's listen queue: `ss` shows it as the unix
 * listener's Recv-Q. A SIGKILL from then on resets that connection: the case of a request sent just
 * as the agent died, made certain instead of left to timing.
 *
 * `ss` runs asynchronously, and one more turn of the event loop follows: a client in this process
 * must see its `connect` and write the request first. Blocked in a synchronous `ss`, it could not, and
 * a reset before `connect` is a request never sent, which the client rightly sends to a new agent.
 */
export async function connectionQueued(socket: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const { stdout } = await run('ss', ['-xlH', 'src', socket], { encoding: 'utf8' });
    if (Number(stdout.trim().split(/\s+/)[2]) >= 1) {
      await new Promise((r) => setTimeout(r, 20));
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no connection reached ${socket}`);
}
