/**
 * A minimal HTTP/1.1 client for the agent's unix socket: one request, `Connection: close`, the
 * whole answer read until the agent closes. The helper's `get` path uses this instead of
 * node:http, whose module graph costs ~30 ms of start-up (measured: `import 'node:http'` 51 ms
 * user time vs 18 ms for an empty module on Node 24); node:net is already loaded at start.
 * Handles Content-Length and chunked bodies, which is all express sends.
 */

import { createConnection } from 'node:net';

export interface SocketAnswer {
  status: number;
  body: string;
}

export interface SocketRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The whole budget, retries included. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Connect errors that mean "the agent is busy", not "no agent": its accept queue is full, or it reset the connection. */
const BUSY = new Set(['EAGAIN', 'ECONNRESET']);
const RETRY_BASE_MS = 2;
const RETRY_CAP_MS = 50;

/**
 * True when the connection was made but not a byte of the answer came back: the agent closed or
 * reset it. That is what a request meets when the agent is SIGKILLed (or crashes) while it still
 * holds the socket: connect succeeds (the dying process's listener is still open), and when the
 * kernel closes that listener, the connections waiting in its backlog are reset (ECONNRESET on
 * read); one it had already accepted ends without an answer. Once the process is gone, connect
 * fails with ECONNREFUSED. Whether the request was acted on is unknown: only a request safe to
 * repeat may be sent again.
 */
export function diedBeforeAnswering(err: unknown): boolean {
  const { code, connected, answered } = err as NodeJS.ErrnoException & { connected?: boolean; answered?: boolean };
  return connected === true && answered === false && (code === 'ECONNRESET' || code === 'EPIPE');
}

/**
 * One request to the agent. When the agent is too busy to take the connection (EAGAIN: the listen
 * backlog is full; ECONNRESET while connecting) it is tried again after a short jittered, doubling
 * pause, within `timeoutMs` overall. Nothing is retried once connected (the request may have been
 * acted on), nor "no agent" (ENOENT, ECONNREFUSED: the caller starts one).
 */
export async function socketRequest(
  socketPath: string,
  request: SocketRequest,
  random: () => number = Math.random,
): Promise<SocketAnswer> {
  const deadline = Date.now() + request.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestOnce(socketPath, { ...request, timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch (err) {
      const { code, connected } = err as NodeJS.ErrnoException & { connected?: boolean };
      if (!BUSY.has(code ?? '') || connected || request.signal?.aborted) throw err;
      const pause = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt) * (0.5 + random() / 2);
      if (Date.now() + pause >= deadline) throw err;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

function requestOnce(socketPath: string, request: SocketRequest): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    // Aborting closes the connection, which is how the agent learns the caller went away.
    request.signal?.addEventListener(
      'abort',
      () => socket.destroy(Object.assign(new Error('request aborted'), { code: 'ABORT_ERR' })),
      { once: true },
    );
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error('agent request timed out'), { code: 'ETIMEDOUT' })),
      request.timeoutMs,
    );
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
      const head = [`${request.method} ${request.path} HTTP/1.1`, 'Host: agent', 'Connection: close'];
      for (const [name, value] of Object.entries(request.headers)) head.push(`${name}: ${value}`);
      if (body) head.push('Content-Type: application/json', `Content-Length: ${body.length}`);
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      if (body) socket.write(body);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(Object.assign(err, { connected, answered: chunks.length > 0 }));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (err) {
        reject(Object.assign(err as Error, { connected, answered: chunks.length > 0 }));
      }
    });
  });
}

/** Parses a complete HTTP/1.1 response. Throws an ECONNRESET-coded error when it is cut short. */
export function parseAnswer(raw: Buffer): SocketAnswer {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw cutShort();
  const [statusLine, ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!Number.isInteger(status)) throw cutShort();
  const headers = new Map(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(':')).trim().toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  let body = raw.subarray(split + 4);
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = dechunk(body);
  const length = headers.get('content-length');
  if (length !== undefined) {
    if (body.length < Number(length)) throw cutShort();
    body = body.subarray(0, Number(length));
  }
  return { status, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) throw cutShort();
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isInteger(size)) throw cutShort();
    if (size === 0) return Buffer.concat(parts);
    if (lineEnd + 2 + size > data.length) throw cutShort();
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

function cutShort(): Error {
  return Object.assign(new Error('the agent closed the connection mid-answer'), { code: 'ECONNRESET' });
}
