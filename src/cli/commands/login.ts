import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { AgentClient } from '../../agent/client/agent-client.ts';
import type { SecretStatus } from '../../credentials/secret-keeper.ts';
import { openBrowser } from '../../platform/browser.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { describeLogin, deviceLogin, warnAboutFileStore } from './device-login.ts';
import { EXIT } from '../exit-codes.ts';
import { readLastUsername, writeLastUsername } from './last-username.ts';
import { waitForWebLogin } from './web-login.ts';

const WEB_LOGIN_TIMEOUT_MS = 10 * 60_000;

/**
 * `login`: the OIDC device login where an issuer and a client are configured, else the secret
 * login (the Harbor username and CLI secret, asked on the terminal, checked by Harbor before they
 * are stored); `--secret` chooses the secret login anyway. `--secret-stdin --username U`: the
 * secret login without a terminal. `--web`: revive a dead registry secret through Harbor's own
 * browser login, re-checking until it works. Already logged in (in the mode asked for), it says so
 * and asks before a new login on a terminal; without one it changes nothing (exit 0). `--force`
 * skips that; `--secret-stdin` (a secret given on purpose) is always checked and stored.
 */
export async function loginCommand({ values }: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const secretStdin = values['secret-stdin'] === true;
  if (values.web && (secretStdin || values.secret || values.username !== undefined))
    throw new EidfError('USAGE', '--web cannot be combined with --secret, --secret-stdin or --username');
  const oidcConfigured = Boolean(config.oidcIssuer && config.oidcClientId);
  const secretLogin = secretStdin || values.secret === true || values.username !== undefined || !oidcConfigured;
  const agent = connectAgent(config, deps);
  const browser = !values['no-browser'];
  const aborted = new AbortController();
  const removeHandler = deps.onTerminate(() => aborted.abort());
  try {
    if (values.web) {
      const status = await webLogin(agent, deps, config, browser, aborted.signal);
      return status.state === 'valid' ? EXIT.ok : EXIT.notLoggedIn;
    }
    if (!secretStdin && values.force !== true && !(await confirmNewLogin(agent, deps, config, secretLogin)))
      return EXIT.ok;
    if (secretLogin) {
      const username = typeof values.username === 'string' ? values.username : undefined;
      const status = secretStdin
        ? await storeSecret(agent, username!, await secretFromStdin(deps))
        : await askForSecret(agent, deps, config, { browser, username, oidcConfigured });
      await writeLastUsername(config, deps, status.username ?? username ?? '');
      for (const line of describeSecretLogin(config, status)) deps.stderr.write(`${line}\n`);
      await warnAboutFileStore(agent, (line) => deps.stderr.write(`${line}\n`));
      return status.state === 'valid' ? EXIT.ok : EXIT.notLoggedIn;
    }
    const result = await deviceLogin(agent, deps, config, { browser, signal: aborted.signal });
    for (const line of describeLogin(result, deps.clock.now())) deps.stderr.write(`${line}\n`);
    return EXIT.ok;
  } finally {
    removeHandler();
  }
}

/**
 * When a login of the kind asked for already works: says so, and on a terminal asks whether to log
 * in again. True when the login should go ahead.
 */
async function confirmNewLogin(
  agent: AgentClient,
  deps: CliDeps,
  config: Config,
  secretLogin: boolean,
): Promise<boolean> {
  const status = await agent.call('GET /v1/status');
  const session = status.session;
  const secret = status.registrySecret;
  let current: string | undefined;
  if (secretLogin) {
    if (secret?.mode === 'stored-secret' && secret.state === 'valid')
      current = `as Harbor user ${secret.username} with the CLI secret`;
  } else if (session?.subject && (session.state === 'logged-in' || session.state === 'refreshing')) {
    current = `as ${session.username ?? session.email ?? session.subject} (device login)`;
  }
  if (current === undefined) return true;
  const line = `already logged in to ${config.registry} ${current}`;
  if (!deps.terminal) {
    deps.stderr.write(`${line}; nothing changed (docker-credential-eidf login --force logs in again)\n`);
    return false;
  }
  const answer = (await deps.terminal.ask(`${line}. Log in again? [y/N] `, { echo: true })).trim().toLowerCase();
  if (answer === 'y' || answer === 'yes') return true;
  deps.stderr.write('nothing changed\n');
  return false;
}

async function secretFromStdin(deps: CliDeps): Promise<string> {
  const secret = new TextDecoder().decode(await deps.stdin()).trim();
  if (secret === '' || secret.includes('\n'))
    throw new EidfError('BAD_INPUT', 'expected the CLI secret as one line on stdin');
  return secret;
}

/** Harbor checks the secret before the agent stores it; a refused one is BAD_INPUT, nothing stored. */
function storeSecret(agent: AgentClient, username: string, secret: string): Promise<SecretStatus> {
  return agent.call('POST /v1/session/secret', { username, secret });
}

/** The secret login on a terminal: where the secret is, the browser, then username and secret. */
async function askForSecret(
  agent: AgentClient,
  deps: CliDeps,
  config: Config,
  options: { browser: boolean; username: string | undefined; oidcConfigured: boolean },
): Promise<SecretStatus> {
  const terminal = deps.terminal;
  if (!terminal) {
    throw new EidfError(
      'USAGE',
      'no terminal to ask for the CLI secret on: pipe it in with --secret-stdin --username <harbor user>',
    );
  }
  const out = (line: string) => deps.stderr.write(`${line}\n`);
  const portal = `${config.registryUrl}/`;
  out(
    options.oidcConfigured
      ? `Log in to ${config.registry} with your Harbor CLI secret.`
      : `No OIDC device login is configured for ${config.registry}: log in with your Harbor CLI secret.`,
  );
  out(`It is in Harbor's web UI: ${portal} → your name, top right → User Profile → CLI secret.`);
  if (options.browser && (await openBrowser(portal, config, deps.env, deps.platform))) out('(opened in your browser)');
  const last = options.username ?? readLastUsername(config, deps) ?? (await currentUsername(agent));
  const typed = (await terminal.ask(`Harbor username${last ? ` [${last}]` : ''}: `, { echo: true })).trim();
  const username = typed === '' ? last : typed;
  if (!username) throw new EidfError('BAD_INPUT', 'no Harbor username entered');
  const secret = (await terminal.ask('CLI secret (not shown): ', { echo: false })).trim();
  if (secret === '') throw new EidfError('BAD_INPUT', 'no CLI secret entered');
  out(`Checking the secret with Harbor…`);
  return storeSecret(agent, username, secret);
}

/** The Harbor user whose secret the agent keeps now, as a default; undefined when unknown. */
async function currentUsername(agent: AgentClient): Promise<string | undefined> {
  try {
    const status = await agent.call('GET /v1/status');
    return status.registrySecret?.username ?? undefined;
  } catch {
    return undefined;
  }
}

function describeSecretLogin(config: Config, status: SecretStatus): string[] {
  if (status.state !== 'valid')
    return [`stored the CLI secret; registry secret: ${status.state}${status.action ? `: ${status.action}` : ''}`];
  const lines = [
    `logged in to ${config.registry} as Harbor user ${status.username}: the CLI secret is stored and kept alive by the agent`,
    'if Harbor ends its own session (SAFE may end it after some hours), `get` and `status` say so at once,',
    'and `docker-credential-eidf login --web` brings the same secret back',
  ];
  if (status.mode === 'oidc')
    lines.push('(while the OIDC session is logged in, the agent uses the secret Harbor gives it instead)');
  return lines;
}

async function webLogin(
  agent: AgentClient,
  deps: CliDeps,
  config: Config,
  browser: boolean,
  signal: AbortSignal,
): Promise<SecretStatus> {
  // A secret the agent already found dead (twice refused, 3 s apart) is not probed again: the URL
  // comes at once, and the wait below sees the web login within one re-check.
  const known = (await agent.call('GET /v1/status')).registrySecret;
  const status = known.state === 'needs-web-login' ? known : await agent.call('POST /v1/session/secret/check');
  if (status.state === 'valid') {
    deps.stderr.write(`the registry secret already works (Harbor user ${status.username})\n`);
    return status;
  }
  if (status.state === 'no-credential') {
    throw new EidfError('NOT_LOGGED_IN', 'no registry secret to bring back: run docker-credential-eidf login');
  }
  const revived = await waitForWebLogin(agent, deps, config, { browser, signal, maxWaitMs: WEB_LOGIN_TIMEOUT_MS });
  deps.stderr.write(`the registry secret works again (Harbor user ${revived.username})\n`);
  return revived;
}
