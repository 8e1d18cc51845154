import type { Config } from '../../config.ts';
import { EidfError, oneLine, type ErrorReason } from '../../core/errors.ts';
import type { AgentClient } from '../../agent/client/agent-client.ts';
import {
  handle,
  NOT_FOUND_MESSAGE,
  PROTOCOL_VERBS,
  type CredentialHelper,
  type ProtocolVerb,
} from '../../protocol/protocol.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { CliDeps } from '../deps.ts';
import { PRODUCT, versionLine } from '../../version.ts';

/** Printed on stdout with exit 1 for a protocol verb given extra arguments (or, in the helper, any other word). */
export const PROTOCOL_USAGE = `Usage: ${PRODUCT} <${PROTOCOL_VERBS.join('|')}>; ${PRODUCT} help lists the other commands`;

/** store/get/erase/list/version: stdin → agent → stdout, nothing else on stdout. */
export async function runProtocolVerb(verb: ProtocolVerb, deps: CliDeps, loadConfig: () => Config): Promise<number> {
  let helper: CredentialHelper;
  try {
    if (verb === 'version') helper = unusedHelper;
    else {
      const config = loadConfig();
      helper = agentHelper(connectAgent(config, deps, { settings: false }), (reason, hint) =>
        explainMissing(reason, hint, deps, config),
      );
    }
  } catch (err) {
    deps.stdout.write(`${oneLine(err)}\n`);
    return 1;
  }
  // `list` takes no input (the Go client sends "unused"); version neither.
  const stdin = verb === 'list' || verb === 'version' ? new Uint8Array() : await deps.stdin();
  const result = await handle(helper, verb, stdin, versionLine(deps.version));
  deps.stdout.write(result.stdout);
  return result.exitCode;
}

/**
 * What `get` does when the agent has no credential for a reason it can name: when a person is
 * watching stderr, log in right here (the device login for a missing session, Harbor's web login
 * for a dead secret), bounded in time, then answer; otherwise one hint line and not-found at once.
 * A prompt that was cancelled or ran out pauses new ones for a while (the agent keeps the pause):
 * a `docker build` asks for every configured registry. Resolves true when the answer is worth
 * asking for again.
 */
type ExplainMissing = (reason: ErrorReason | undefined, hint: string) => Promise<boolean>;

const GET_LOGIN_WAIT_MS = 5 * 60_000;

async function explainMissing(
  reason: ErrorReason | undefined,
  hint: string,
  deps: CliDeps,
  config: Config,
): Promise<boolean> {
  const prompt =
    reason === 'login-required' || reason === 'logging-in'
      ? 'device'
      : reason === 'needs-web-login'
        ? 'web'
        : undefined;
  if (prompt && config.loginOnGet === 'auto' && deps.stderr.isTTY) {
    const agent = connectAgent(config, deps, { settings: false });
    const pause = await agent.call('GET /v1/session/prompt-pause').catch(() => ({ until: null }));
    if (pause.until !== null) {
      deps.stderr.write(
        `docker-credential-eidf: ${hint} (no new login prompt from get until ${pause.until.slice(11, 19)} UTC)\n`,
      );
      return false;
    }
    const aborted = new AbortController();
    const removeHandler = deps.onTerminate(() => aborted.abort());
    try {
      if (prompt === 'device') {
        const { deviceLogin } = await import('./device-login.ts');
        await deviceLogin(agent, deps, config, { browser: true, signal: aborted.signal, maxWaitMs: GET_LOGIN_WAIT_MS });
      } else {
        const { waitForWebLogin } = await import('./web-login.ts');
        deps.stderr.write(
          `docker-credential-eidf: the registry secret for ${config.registry} no longer works: Harbor ended its own session\n`,
        );
        await waitForWebLogin(agent, deps, config, {
          browser: 'first',
          signal: aborted.signal,
          maxWaitMs: GET_LOGIN_WAIT_MS,
        });
        deps.stderr.write('docker-credential-eidf: the registry secret works again\n');
      }
      return true;
    } catch (err) {
      deps.stderr.write(`docker-credential-eidf: ${oneLine(err)}\n`);
      if (err instanceof EidfError && PAUSING.has(err.code)) {
        const paused = await agent.call('POST /v1/session/prompt-pause').catch(() => undefined);
        if (paused?.until)
          deps.stderr.write(
            `docker-credential-eidf: no new login prompt from get until ${paused.until.slice(11, 19)} UTC; run docker-credential-eidf login${prompt === 'web' ? ' --web' : ''} meanwhile\n`,
          );
      }
      return false;
    } finally {
      removeHandler();
    }
  }
  if (hint !== NOT_FOUND_MESSAGE) deps.stderr.write(`docker-credential-eidf: ${hint}\n`);
  return false;
}

/** Endings of a prompt that mean "not now": no other prompt from `get` for a while. */
const PAUSING = new Set(['LOGIN_CANCELLED', 'LOGIN_EXPIRED', 'LOGIN_DENIED', 'NEEDS_WEB_LOGIN']);

/** The protocol's backend: the agent, over its socket. */
export function agentHelper(agent: AgentClient, explain: ExplainMissing = async () => false): CredentialHelper {
  return {
    add: async (registry, credentials) => {
      await agent.call('POST /v1/credentials/store', {
        registry,
        Username: credentials.Username,
        Secret: credentials.Secret,
      });
    },
    get: async (registry) => {
      const ask = () => agent.call('POST /v1/credentials/get', { registry });
      try {
        return await ask();
      } catch (err) {
        if (!(err instanceof EidfError) || err.code !== 'NOT_FOUND') throw err;
        if (!(await explain(err.reason, err.message))) return null;
      }
      try {
        return await ask();
      } catch (err) {
        if (err instanceof EidfError && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    },
    delete: async (registry) => {
      await agent.call('POST /v1/credentials/erase', { registry });
    },
    list: () => agent.call('GET /v1/credentials'),
  };
}

const unusedHelper: CredentialHelper = {
  add: () => Promise.reject(new Error('unused')),
  get: () => Promise.reject(new Error('unused')),
  delete: () => Promise.reject(new Error('unused')),
  list: () => Promise.reject(new Error('unused')),
};
