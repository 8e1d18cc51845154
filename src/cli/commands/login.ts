import { parseArgs } from 'node:util';
import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { AgentClient } from '../../daemon/client.ts';
import type { SecretStatus } from '../../harbor/secret-keeper.ts';
import { openBrowser } from '../../platform/browser.ts';
import { connectAgent } from '../agent-connection.ts';
import type { CliDeps } from '../deps.ts';
import { describeLogin, deviceLogin } from '../device-login.ts';
import { EXIT } from '../exit-codes.ts';

const USAGE = 'usage: docker-credential-eidf login [--no-browser] | login --web [--no-browser] | login --secret-stdin --username <harbor user>';
const WEB_LOGIN_TIMEOUT_MS = 10 * 60_000;

/**
 * `login`: the OIDC device login (default); `--web`: revive a dead registry secret through
 * Harbor's own browser login, re-checking until it works; `--secret-stdin`: store a CLI secret
 * by hand (for an IdP that cannot issue Harbor-audience tokens).
 */
export async function loginCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: { 'no-browser': { type: 'boolean' }, web: { type: 'boolean' }, 'secret-stdin': { type: 'boolean' }, username: { type: 'string' } },
    }));
  } catch {
    throw new EidfError('USAGE', USAGE);
  }
  const agent = connectAgent(config, deps);
  const browser = !values['no-browser'];
  const aborted = new AbortController();
  const removeHandler = deps.onTerminate(() => aborted.abort());
  try {
    if (values['secret-stdin']) {
      if (!values.username || values.web) throw new EidfError('USAGE', USAGE);
      return await storeSecret(agent, deps, values.username);
    }
    if (values.username) throw new EidfError('USAGE', USAGE);
    if (values.web) return await webLogin(agent, deps, config, browser, aborted.signal);
    const result = await deviceLogin(agent, deps, config, { browser, signal: aborted.signal });
    for (const line of describeLogin(result)) deps.stderr.write(`${line}\n`);
    return EXIT.ok;
  } finally {
    removeHandler();
  }
}

async function storeSecret(agent: AgentClient, deps: CliDeps, username: string): Promise<number> {
  const secret = new TextDecoder().decode(await deps.stdin()).trim();
  if (secret === '' || secret.includes('\n')) throw new EidfError('BAD_INPUT', 'expected the CLI secret as one line on stdin');
  const status = await agent.call<SecretStatus>('POST', '/v1/session/secret', { username, secret });
  deps.stderr.write(`stored the CLI secret of ${username}; registry secret: ${status.state}${status.action ? `: ${status.action}` : ''}\n`);
  return status.state === 'valid' ? EXIT.ok : EXIT.notLoggedIn;
}

async function webLogin(agent: AgentClient, deps: CliDeps, config: Config, browser: boolean, signal: AbortSignal): Promise<number> {
  const url = `${config.registryUrl}/c/oidc/login`;
  let status = await agent.call<SecretStatus>('POST', '/v1/session/secret/check');
  if (status.state === 'valid') {
    deps.stderr.write(`the registry secret already works (Harbor user ${status.username})\n`);
    return EXIT.ok;
  }
  deps.stderr.write(`Log in to Harbor in a browser to renew its session: ${url}\n`);
  if (browser && (await openBrowser(url, deps.env, deps.platform))) deps.stderr.write('(opened in your browser)\n');
  deps.stderr.write('Waiting until the registry secret works again; Ctrl-C stops waiting.\n');
  const deadline = deps.clock.now() + WEB_LOGIN_TIMEOUT_MS;
  while (status.state !== 'valid') {
    if (deps.clock.now() > deadline) throw new EidfError('NEEDS_WEB_LOGIN', `the registry secret still does not work after 10 minutes: ${status.action ?? ''}`);
    await sleep(3000, signal);
    if (signal.aborted) throw new EidfError('LOGIN_CANCELLED', 'stopped waiting for the web login');
    status = await agent.call<SecretStatus>('POST', '/v1/session/secret/check');
  }
  deps.stderr.write(`the registry secret works again (Harbor user ${status.username})\n`);
  return EXIT.ok;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
