/**
 * Registers an agent endpoint from the contract (`api.ts`): the handler gets the request's fields
 * (a POST's JSON body, a GET's query) still to be checked, and returns the answer the contract
 * names, so a change to either shape breaks the typecheck here as in the client. `null` answers
 * 204; an answer after the caller left is dropped.
 */
import type { Request, Response, Router } from 'express';
import { endpointParts, type EndpointName, type RequestOf, type ResponseOf } from '../api.ts';

/** The request's fields as they arrive: the contract's names, each value unchecked. */
export type Incoming<E extends EndpointName> = [RequestOf<E>] extends [undefined]
  ? Record<never, never>
  : { [K in keyof NonNullable<RequestOf<E>>]?: unknown };

type Handler<E extends EndpointName> = (
  input: Incoming<E>,
  req: Request,
  res: Response,
) => ResponseOf<E> | Promise<ResponseOf<E>>;

/** Endpoints under `mount` (where the router is mounted, e.g. `/v1/session`), registered on `router`. */
export function endpoints(router: Pick<Router, 'get' | 'post'>, mount: string) {
  return <E extends EndpointName>(endpoint: E, handler: Handler<E>): void => {
    const { method, path } = endpointParts(endpoint);
    if (!path.startsWith(mount)) throw new Error(`${endpoint} is not under ${mount}`);
    const route = path.slice(mount.length) || '/';
    const run = async (req: Request, res: Response) => {
      const input = ((method === 'GET' ? req.query : req.body) ?? {}) as Incoming<E>;
      const answer = await handler(input, req, res);
      if (res.destroyed || res.headersSent) return;
      if (answer === null) res.status(204).end();
      else res.json(answer);
    };
    if (method === 'GET') router.get(route, run);
    else router.post(route, run);
  };
}
