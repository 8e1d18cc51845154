import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { AgentClient } from '../../agent/client/agent-client.ts';
import type { SecretStatus } from '../../credentials/secret-keeper.ts';
import { openBrowser } from '../../platform/browser.ts';
import { realTimers } from '../../platform/timers.ts';
import type { CliDeps } from '../deps.ts';

const RECHECK_EVERY_MS = 3000;

/**
 * Harbor's own web login brings a dead registry secret back (the same secret: Harbor stores a new
 * OIDC token for the user). Shows the URL of /c/oidc/login, opens it when there is a display,
 * and asks the agent to re-check the secret until it works, `maxWaitMs` passes (NEEDS_WEB_LOGIN)
 * or `signal` aborts (LOGIN_CANCELLED). Resolves with the working secret's status.
 * `browser: 'first'` opens it only if no other waiter did in the last minutes (parallel `get`s).
 */
export async function waitForWebLogin(
  agent: AgentClient,
  deps: CliDeps,
  config: Config,
  options: { browser: boolean | 'first'; signal: AbortSignal; maxWaitMs: number },
): Promise<SecretStatus> {
  const url = `${config.registryUrl}/c/oidc/login`;
  const out = (line: string) => deps.stderr.write(`${line}\n`);
  out(`Log in to Harbor on the web to bring the registry secret back: ${url}`);
  const first = async () => (await agent.call('POST /v1/session/web-login/browser').catch(() => ({ open: true }))).open;
  const open = options.browser === 'first' ? await first() : options.browser;
  if (open && (await openBrowser(url, config, deps.env, deps.platform))) out('(opened in your browser)');
  const deadline = deps.clock.now() + options.maxWaitMs;
  out(
    `Waiting until the same secret works again (until ${new Date(deadline).toISOString().slice(11, 19)} UTC); Ctrl-C stops waiting.`,
  );
  for (;;) {
    await realTimers.sleep(RECHECK_EVERY_MS, options.signal);
    if (options.signal.aborted) throw new EidfError('LOGIN_CANCELLED', 'stopped waiting for the web login');
    const status = await agent
      .call('POST /v1/session/secret/check', undefined, { signal: options.signal })
      .catch((err: unknown) => {
        if (options.signal.aborted) throw new EidfError('LOGIN_CANCELLED', 'stopped waiting for the web login');
        throw err;
      });
    if (status.state === 'valid') return status;
    if (deps.clock.now() > deadline) {
      throw new EidfError(
        'NEEDS_WEB_LOGIN',
        `the registry secret still does not work after ${Math.round(options.maxWaitMs / 60_000)} minutes: ${status.action ?? `log in at ${url}`}`,
      );
    }
  }
}
