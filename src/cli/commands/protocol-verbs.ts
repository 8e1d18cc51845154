import type { Config } from '../../config.ts';
import { EidfError, oneLine } from '../../core/errors.ts';
import type { AgentClient } from '../../daemon/client.ts';
import { handle, NOT_FOUND_MESSAGE, type CredentialHelper, type ProtocolVerb } from '../../protocol/protocol.ts';
import { connectAgent } from '../agent-connection.ts';
import type { CliDeps } from '../deps.ts';

/** store/get/erase/list/version: stdin → agent → stdout, nothing else on stdout. */
export async function runProtocolVerb(verb: ProtocolVerb, deps: CliDeps, loadConfig: () => Config): Promise<number> {
  const versionLine = `docker-credential-eidf (docker-credential-eidf) ${deps.version}`;
  let helper: CredentialHelper;
  try {
    if (verb === 'version') helper = unusedHelper;
    else {
      const config = loadConfig();
      helper = agentHelper(connectAgent(config, deps, { settings: false }), (reason, hint) => explainMissing(reason, hint, deps, config));
    }
  } catch (err) {
    deps.stdout.write(`${oneLine(err)}\n`);
    return 1;
  }
  // `list` takes no input (the Go client sends "unused"); version neither.
  const stdin = verb === 'list' || verb === 'version' ? new Uint8Array() : await deps.stdin();
  const result = await handle(helper, verb, stdin, versionLine);
  deps.stdout.write(result.stdout);
  return result.exitCode;
}

/**
 * What `get` does when the agent has no credential for a reason it can name: log in right here
 * when a person is watching stderr (then answer), otherwise one hint line and not-found at once.
 * Resolves true when a login succeeded and the answer is worth asking for again.
 */
type ExplainMissing = (reason: string | undefined, hint: string) => Promise<boolean>;

async function explainMissing(reason: string | undefined, hint: string, deps: CliDeps, config: Config): Promise<boolean> {
  const canLogIn = reason === 'login-required' || reason === 'logging-in';
  if (canLogIn && config.loginOnGet === 'auto' && deps.stderr.isTTY) {
    const { deviceLogin } = await import('../device-login.ts');
    const aborted = new AbortController();
    const removeHandler = deps.onTerminate(() => aborted.abort());
    try {
      await deviceLogin(connectAgent(config, deps, { settings: false }), deps, config, { browser: true, signal: aborted.signal });
      return true;
    } catch (err) {
      deps.stderr.write(`docker-credential-eidf: ${oneLine(err)}\n`);
      return false;
    } finally {
      removeHandler();
    }
  }
  if (hint !== NOT_FOUND_MESSAGE) deps.stderr.write(`docker-credential-eidf: ${hint}\n`);
  return false;
}

/** The protocol's backend: the agent, over its socket. */
export function agentHelper(agent: AgentClient, explain: ExplainMissing = async () => false): CredentialHelper {
  return {
    add: async (registry, credentials) => {
      await agent.call('POST', '/v1/credentials/store', { registry, Username: credentials.Username, Secret: credentials.Secret });
    },
    get: async (registry) => {
      const ask = () => agent.call<{ Username: string; Secret: string }>('POST', '/v1/credentials/get', { registry });
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
      await agent.call('POST', '/v1/credentials/erase', { registry });
    },
    list: () => agent.call<Record<string, string>>('GET', '/v1/credentials'),
  };
}

const unusedHelper: CredentialHelper = {
  add: () => Promise.reject(new Error('unused')),
  get: () => Promise.reject(new Error('unused')),
  delete: () => Promise.reject(new Error('unused')),
  list: () => Promise.reject(new Error('unused')),
};
