import http from 'node:http';
import type { Request, Response } from 'express';

/**
 * Streams /v2/… to the registry unchanged. The Host header is kept, so the URLs the registry
 * puts in Location headers point at the Harbor origin, as behind Harbor's own proxy.
 */
export function registryProxy(registryUrl: string) {
  const target = new URL(registryUrl);
  return (req: Request, res: Response): void => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.originalUrl,
        headers: req.headers,
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.status(502).json({ errors: [{ code: 'UNKNOWN', message: 'registry unavailable' }] });
      else res.destroy();
    });
    req.pipe(upstream);
  };
}

/** Repository counts per project, read from the registry catalog with an internal token. */
export function catalogCounter(registryUrl: string, mintCatalogToken: () => Promise<string>) {
  return async (): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    try {
      const res = await fetch(`${registryUrl}/v2/_catalog?n=1000`, {
        headers: { authorization: `Bearer ${await mintCatalogToken()}` },
      });
      if (!res.ok) return counts;
      const body = (await res.json()) as { repositories?: string[] };
      for (const repo of body.repositories ?? []) {
        const project = repo.split('/')[0];
        counts.set(project, (counts.get(project) ?? 0) + 1);
      }
    } catch {
      // the count is informational; an unreachable registry gives zeros
    }
    return counts;
  };
}
