import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts an HTTP server on 127.0.0.1 (port 0 = any free port) with no handler yet. */
export async function listenLoopback(port = 0): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Closes a server and any keep-alive connections it still holds. */
export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** A free loopback port for a child process (bind, read, release: callers retry if it was taken meanwhile). */
export async function freePort(): Promise<number> {
  const { server, port } = await listenLoopback(0);
  await closeServer(server);
  return port;
}
