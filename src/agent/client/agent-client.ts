/**
 * The helper's side of the socket: one JSON request, one JSON answer. It starts the agent when
 * none answers (once per process), and restarts it when the agent is of another version.
 * Speaks HTTP through socket-http.ts (node:net only), so the `get` path stays light.
 */

import { existsSync, rmSync } from 'node:fs';
import { EidfError, errnoCode } from '../../core/errors.ts';
import type { Timers } from '../../core/ports.ts';
import { checkAgentSocket } from '../../platform/private-path.ts';
import { realTimers } from '../../platform/timers.ts';
import { diedBeforeAnswering, socketRequest } from './socket-http.ts';
import {
  endpointParts,
  errorFromWire,
  VERSION_HEADER,
  type AgentHealth,
  type EndpointName,
  type RequestOf,
  type ResponseOf,
} from '../api.ts';

export interface AgentClientOptions {
  socketPath: string;
  /** The caller's uid: the socket and its folder must be this user's before a byte is sent. */
  uid: number;
  version: string;
  /** A file present while the systemd service restarts its agent (service-restart.ts): wait, do not start one. */
  serviceRestartMarker?: string;
  /** Starts a detached agent; called at most once per client. `exited` settles if it ends. */
  spawnAgent(): Promise<{ exited: Promise<void> }>;
  /** How long to wait for a freshly started agent to answer. */
  startTimeoutMs?: number;
  /** Upper bound on one request (the agent answers `get` from memory). */
  requestTimeoutMs?: number;
  /** Default: real timers (the waits between start-up polls). */
  timers?: Timers;
}

export interface RequestOptions {
  /** Longer than the default for requests that wait on a person (a device login). */
  timeoutMs?: number;
  /** Aborting closes the connection; the agent treats that as the caller leaving. */
  signal?: AbortSignal;
}

/** The arguments after the endpoint: its request (optional where it takes none), then the options. */
export type CallArgs<E extends EndpointName> =
  undefined extends RequestOf<E>
    ? [body?: RequestOf<E>, options?: RequestOptions]
    : [body: RequestOf<E>, options?: RequestOptions];

export interface AgentAnswer {
  status: number;
  body: unknown;
}

const NO_AGENT = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/** Requests with no effect (reads, and `credentials/get`), so safe to send again to a new agent. */
function repeatable(method: string, path: string): boolean {
  return method === 'GET' || path === endpointParts('POST /v1/credentials/get').path;
}

export class AgentClient {
  readonly #options: AgentClientOptions;
  #spawned = false;
  #repeated = false;

  constructor(options: AgentClientOptions) {
    this.#options = options;
  }

  /** Sends a request to `endpoint` (api.ts); answers 2xx bodies, throws EidfError for anything else. */
  async call<E extends EndpointName>(endpoint: E, ...[request, options = {}]: CallArgs<E>): Promise<ResponseOf<E>> {
    const { method, path, body } = requestParts(endpoint, request);
    let answer = await this.#send(method, path, body, options);
    const mismatch = answer.body as { error?: string; pid?: number; service?: string } | null;
    if (answer.status === 409 && mismatch?.error === 'VERSION_MISMATCH') {
      if (mismatch.service === 'systemd') {
        // The service exits non-zero and systemd starts it again with the new code (service-restart.ts):
        // wait for that agent; one started from here would run outside the service.
        const back = await this.#waitUntil(async () => ((await this.#health())?.pid ?? mismatch.pid) !== mismatch.pid);
        if (!back) this.#serviceNotBack();
        answer = await this.#send(method, path, body, options, { spawn: false });
      } else {
        await this.#waitUntil(async () => !(await this.#answers()));
        answer = await this.#send(method, path, body, options);
      }
    }
    if (answer.status >= 200 && answer.status < 300) return answer.body as ResponseOf<E>;
    throw errorFromWire(answer.status, answer.body);
  }

  /** Like call(), but never starts an agent: undefined when none is running. */
  async callIfRunning<E extends EndpointName>(
    endpoint: E,
    ...[request]: CallArgs<E>
  ): Promise<ResponseOf<E> | undefined> {
    const { method, path, body } = requestParts(endpoint, request);
    let answer: AgentAnswer;
    try {
      answer = await this.#raw(method, path, body);
    } catch (err) {
      if (NO_AGENT.has(errnoCode(err) ?? '')) return undefined;
      const after = await this.#afterDeath(method, path, err);
      if (after === 'gone') return undefined;
      try {
        answer = await this.#raw(method, path, body);
      } catch (again) {
        throw unreachable(again);
      }
    }
    if (answer.status >= 200 && answer.status < 300) return answer.body as ResponseOf<E>;
    throw errorFromWire(answer.status, answer.body);
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    options: RequestOptions,
    { spawn = true } = {},
  ): Promise<AgentAnswer> {
    try {
      return await this.#raw(method, path, body, options);
    } catch (err) {
      if (this.#spawned || !spawn) throw unreachable(err);
      if (!NO_AGENT.has(errnoCode(err) ?? '') && (await this.#afterDeath(method, path, err)) === 'answers') {
        try {
          return await this.#raw(method, path, body, options);
        } catch (again) {
          throw unreachable(again);
        }
      }
    }
    const marker = this.#options.serviceRestartMarker;
    if (marker !== undefined && existsSync(marker)) {
      if (!(await this.#waitUntil(() => this.#answers()))) this.#serviceNotBack();
      try {
        return await this.#raw(method, path, body, options);
      } catch (err) {
        throw unreachable(err);
      }
    }
    this.#spawned = true;
    const { exited } = await this.#options.spawnAgent();
    let agentExited = false;
    void exited.then(() => (agentExited = true));
    // An agent that lost a start race exits too, once the winner answers: hence the last ask.
    const started = await this.#waitUntil(
      () => this.#answers(),
      () => agentExited,
    );
    if (!started)
      throw new EidfError(
        'AGENT_UNREACHABLE',
        'the agent did not start; its log, or `docker-credential-eidf daemon run`, shows why',
      );
    try {
      return await this.#raw(method, path, body, options);
    } catch (err) {
      throw unreachable(err);
    }
  }

  /** The service did not bring its agent back in time: say so, and let the next command start one. */
  #serviceNotBack(): never {
    if (this.#options.serviceRestartMarker !== undefined) rmSync(this.#options.serviceRestartMarker, { force: true });
    throw new EidfError(
      'AGENT_UNREACHABLE',
      'the agent is the systemd service docker-credential-eidf; it stopped to restart with the new version but did not come back: systemctl --user status docker-credential-eidf shows why',
    );
  }

  /**
   * After `err` on a request: when the agent died before answering it (socket-http.ts says how that
   * looks) and the request is safe to repeat, once per client, waits until the socket either answers
   * (an agent someone else started: send it there) or refuses (gone: start one, as for no agent).
   * Anything else, or a socket still dying after the start timeout, throws `err` as it is.
   */
  async #afterDeath(method: string, path: string, err: unknown): Promise<'answers' | 'gone'> {
    if (this.#repeated || !repeatable(method, path) || !diedBeforeAnswering(err)) throw unreachable(err);
    this.#repeated = true;
    let state: 'answers' | 'gone' | 'dying' = 'dying';
    await this.#waitUntil(async () => {
      try {
        await this.#raw('GET', '/v1/health', undefined);
        state = 'answers';
      } catch (probe) {
        if (probe instanceof EidfError) throw probe;
        state = NO_AGENT.has(errnoCode(probe) ?? '') ? 'gone' : 'dying';
      }
      return state !== 'dying';
    });
    if (state === 'dying') throw unreachable(err);
    return state;
  }

  async #answers(): Promise<boolean> {
    return (await this.#health()) !== undefined;
  }

  /** The running agent's health answer, or undefined when none answers. */
  async #health(): Promise<Partial<AgentHealth> | undefined> {
    try {
      const answer = await this.#raw('GET', '/v1/health', undefined);
      return answer.status === 200 ? ((answer.body as Partial<AgentHealth> | null) ?? {}) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Polls `condition` until it holds, the start timeout passes, or `giveUp` says so. */
  async #waitUntil(condition: () => Promise<boolean>, giveUp: () => boolean = () => false): Promise<boolean> {
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 10_000);
    for (let delay = 5; Date.now() < deadline && !giveUp(); delay = Math.min(delay * 2, 100)) {
      if (await condition()) return true;
      await (this.#options.timers ?? realTimers).sleep(delay);
    }
    return condition();
  }

  async #raw(method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<AgentAnswer> {
    // Throws AGENT_UNSAFE (not retried, no agent started) for a folder or socket that is not ours;
    // an absent one is "no agent", without connecting to a path someone could create meanwhile.
    if (!checkAgentSocket(this.#options.socketPath, this.#options.uid))
      throw Object.assign(new Error('no agent socket'), { code: 'ENOENT' });
    const answer = await socketRequest(this.#options.socketPath, {
      method,
      path,
      headers: { [VERSION_HEADER]: this.#options.version },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: options.timeoutMs ?? this.#options.requestTimeoutMs ?? 30_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let parsed: unknown;
    try {
      parsed = answer.body === '' ? null : JSON.parse(answer.body);
    } catch {
      parsed = null;
    }
    return { status: answer.status, body: parsed };
  }
}

/** Method, path and body of a call: a GET's request goes in the query string, a POST's in the body. */
function requestParts(endpoint: EndpointName, request: unknown): { method: string; path: string; body: unknown } {
  const { method, path } = endpointParts(endpoint);
  if (method === 'POST' || request === undefined) return { method, path, body: request };
  const query = new URLSearchParams(request as Record<string, string>).toString();
  return { method, path: `${path}?${query}`, body: undefined };
}

function unreachable(err: unknown): EidfError {
  if (err instanceof EidfError) return err;
  const code = errnoCode(err);
  const why =
    code === 'ECONNRESET' || code === undefined
      ? 'the agent closed the connection'
      : `the agent is not reachable (${code})`;
  return new EidfError('AGENT_UNREACHABLE', why, { cause: err });
}
