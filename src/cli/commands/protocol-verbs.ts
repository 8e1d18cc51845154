import type { Config } from '../../config.ts';
import { oneLine } from '../../core/errors.ts';
import type { AgentClient } from '../../daemon/client.ts';
import { handle, type CredentialHelper, type ProtocolVerb } from '../../protocol/protocol.ts';
import { connectAgent } from '../agent-connection.ts';
import type { CliDeps } from '../deps.ts';

/** store/get/erase/list/version: stdin → agent → stdout, nothing else on stdout. */
export async function runProtocolVerb(verb: ProtocolVerb, deps: CliDeps, loadConfig: () => Config): Promise<number> {
  const versionLine = `docker-credential-eidf (docker-credential-eidf) ${deps.version}`;
  let helper: CredentialHelper;
  try {
    helper = verb === 'version' ? unusedHelper : agentHelper(connectAgent(loadConfig(), deps));
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

/** The protocol's backend: the agent, over its socket. */
export function agentHelper(agent: AgentClient): CredentialHelper {
  return {
    add: async (registry, credentials) => {
      await agent.call('POST', '/v1/credentials/store', { registry, Username: credentials.Username, Secret: credentials.Secret });
    },
    get: async (registry) => {
      try {
        return await agent.call<{ Username: string; Secret: string }>('POST', '/v1/credentials/get', { registry });
      } catch (err) {
        if ((err as { code?: string }).code === 'NOT_FOUND') return null;
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
