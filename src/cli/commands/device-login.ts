import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { AgentClient } from '../../agent/client/agent-client.ts';
import { openBrowser } from '../../platform/browser.ts';
import type { CliDeps } from '../deps.ts';
import { localDateTime, relativeTime } from './report-format.ts';

import type { LoginResult } from '../../agent/api.ts';

/**
 * Runs (or joins) the device login in the agent and shows its progress on stderr: a QR code on a
 * terminal big enough for it (qrCodeFor), then the URL and the code; opens the browser once for a login this call started. Resolves
 * when the login ends; an abort (Ctrl-C) closes the connection, which cancels the login in the
 * agent when nobody else waits for it. `maxWaitMs` bounds the wait below the prompt's own expiry
 * (LOGIN_EXPIRED when it runs out; leaving also cancels the agent's login if nobody else waits).
 */
export async function deviceLogin(
  agent: AgentClient,
  deps: CliDeps,
  config: Config,
  options: { browser: boolean; signal: AbortSignal; maxWaitMs?: number },
): Promise<LoginResult> {
  const start = await agent.call('POST /v1/session/login');
  const { prompt } = start;
  const url = prompt.verification_uri_complete ?? prompt.verification_uri;
  const out = (line: string) => deps.stderr.write(`${line}\n`);
  const qr = await qrCodeFor(url, deps.stderr);
  const joining = start.joined ? ' (joining the login already in progress)' : '';
  if (qr !== undefined) out(`${qr}\nTo log in to ${config.registry}${joining}, scan the QR code or open:`);
  else out(`To log in to ${config.registry}${joining}, open:`);
  out(`  ${url}`);
  out(`and check that it shows the code: ${prompt.user_code}`);
  if (options.browser && !start.joined && (await openBrowser(url, config, deps.env, deps.platform)))
    out('(opened in your browser)');
  const promptExpiresAt = Date.parse(prompt.expires_at);
  const bounded = options.maxWaitMs !== undefined && deps.clock.now() + options.maxWaitMs < promptExpiresAt;
  const waitUntil = bounded ? deps.clock.now() + options.maxWaitMs! : promptExpiresAt;
  out(`Waiting for approval until ${new Date(waitUntil).toISOString().slice(11, 19)} UTC; Ctrl-C cancels.`);
  const gaveUp = new AbortController();
  const timer = bounded ? setTimeout(() => gaveUp.abort(), waitUntil - deps.clock.now()) : undefined;
  let result: LoginResult;
  try {
    result = await agent.call('POST /v1/session/login/wait', undefined, {
      timeoutMs: Math.max(promptExpiresAt - deps.clock.now(), 0) + 30_000,
      signal: AbortSignal.any([options.signal, gaveUp.signal]),
    });
  } catch (err) {
    if (options.signal.aborted) throw new EidfError('LOGIN_CANCELLED', 'login cancelled');
    if (gaveUp.signal.aborted)
      throw new EidfError(
        'LOGIN_EXPIRED',
        `no approval within ${Math.round(options.maxWaitMs! / 60_000)} minutes; stopped waiting`,
      );
    throw err;
  } finally {
    clearTimeout(timer);
  }
  await warnAboutFileStore(agent, out);
  return result;
}

/** Lines printed after the QR code that must stay on screen with it (the URL, the code, the wait). */
const LINES_AFTER_QR = 6;

/**
 * The QR code of `url` in half-block characters (two modules a character), when `terminal` is a
 * terminal big enough to show it and the lines under it; undefined otherwise. A terminal that does
 * not say its size gets the code.
 */
export async function qrCodeFor(url: string, terminal: CliDeps['stderr']): Promise<string | undefined> {
  if (!terminal.isTTY) return undefined;
  const { renderUnicodeCompact } = await import('uqr');
  const qr = renderUnicodeCompact(url).replace(/\n+$/, '');
  const lines = qr.split('\n');
  const width = Math.max(...lines.map((line) => [...line].length));
  if (terminal.columns !== undefined && terminal.columns < width) return undefined;
  if (terminal.rows !== undefined && terminal.rows < lines.length + 1 + LINES_AFTER_QR) return undefined;
  return qr;
}

/**
 * Without a usable keychain the session is kept in a 0600 file (open-store.ts): said once, at
 * login, so nobody is surprised to find it on disk.
 */
export async function warnAboutFileStore(agent: AgentClient, out: (line: string) => void): Promise<void> {
  const health = await agent.call('GET /v1/health').catch(() => undefined);
  const store = health?.store;
  if (store?.kind !== 'file' || !store.path || !store.reason.startsWith('no usable keychain')) return;
  out(
    `warning: no usable keychain here, so the login is kept in ${store.path} (0600, readable by you only), as gh and gcloud do; EIDF_STORE=memory keeps nothing on disk (log in again after each agent restart)`,
  );
}

/** One or two lines on who is logged in, until when, and how the registry secret stands. */
export function describeLogin(result: LoginResult, now: number): string[] {
  const { session, registrySecret: secret } = result;
  const who = session.username ?? session.email ?? session.subject ?? 'unknown user';
  const until = session.refreshTokenExpiresAt ? Date.parse(session.refreshTokenExpiresAt) : NaN;
  const next = Number.isNaN(until)
    ? 'the IdP does not say until when'
    : `next login needed by ${localDateTime(until)}, ${relativeTime(until, now)}, unless the IdP extends it`;
  const lines = [`logged in as ${who}; the session renews itself (${next})`];
  if (secret.state === 'valid')
    lines.push(
      `registry secret: valid for Harbor user ${secret.username} (${secret.mode === 'oidc' ? 'read from Harbor' : 'stored'})`,
    );
  else lines.push(`registry secret: ${secret.state}${secret.action ? `: ${secret.action}` : ''}`);
  return lines;
}
