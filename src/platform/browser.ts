import type { Config, Env } from '../config.ts';

/**
 * Opens a URL in the user's browser, when there is one to open: never in CI, never with
 * EIDF_NO_BROWSER (config.noBrowser), never without a display on Linux. The opener's own output
 * never reaches our stdout (it may carry protocol bytes): the child gets no stdio at all.
 * Returns whether an opener was started.
 */
export async function openBrowser(
  url: string,
  config: Pick<Config, 'noBrowser'>,
  env: Env,
  platform: NodeJS.Platform,
): Promise<boolean> {
  if (env.CI || config.noBrowser) return false;
  const command =
    platform === 'darwin'
      ? ['open', url]
      : platform === 'win32'
        ? ['rundll32', 'url.dll,FileProtocolHandler', url]
        : env.DISPLAY || env.WAYLAND_DISPLAY
          ? [env.BROWSER ?? 'xdg-open', url]
          : undefined;
  if (!command) return false;
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'ignore', detached: true, shell: false });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
