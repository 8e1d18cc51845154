import express from 'express';
import type { Request, Response, Router } from 'express';
import { HarborError, badRequest, forbidden, notFound, unauthorized } from './errors.ts';
import { userResp } from './present.ts';
import type { Principal } from './rbac.ts';
import { principalOf } from './security.ts';
import type { HarborStore, HarborUser } from './store.ts';
import { now, randomAlnum } from './store.ts';

const SECRET_RULE =
  'the password or secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number';

/** Harbor's validation for CLI secrets (requireValidSecret). */
export function validCliSecret(secret: string): boolean {
  return (
    secret.length >= 8 && secret.length <= 128 && /[a-z]/.test(secret) && /[A-Z]/.test(secret) && /[0-9]/.test(secret)
  );
}

/** A local user context is needed; robots are not users (412), anonymous callers get 401. */
function requireLocalUser(principal: Principal): HarborUser {
  if (principal.kind === 'anonymous') throw unauthorized();
  if (principal.kind === 'robot') throw new HarborError('PRECONDITION', 'the security context is not a local user');
  return principal.user;
}

function targetUser(store: HarborStore, req: Request, caller: HarborUser): HarborUser {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id <= 0) throw badRequest(`invalid user id: ${String(req.params.id)}`);
  if (caller.userId !== id && !caller.sysadmin) throw forbidden();
  const user = store.userById(id);
  if (!user) throw notFound(`user ${id} not found`);
  return user;
}

export function userRoutes(store: HarborStore): Router {
  const router = express.Router();

  router.get('/api/v2.0/users/current', (_req: Request, res: Response) => {
    res.json(userResp(requireLocalUser(principalOf(res))));
  });

  router.get('/api/v2.0/users/:id', (req: Request, res: Response) => {
    const caller = requireLocalUser(principalOf(res));
    res.json(userResp(targetUser(store, req, caller)));
  });

  // Overwrites the one CLI secret of the user; the old one stops working at once.
  router.put('/api/v2.0/users/:id/cli_secret', (req: Request, res: Response) => {
    const caller = requireLocalUser(principalOf(res));
    const user = targetUser(store, req, caller);
    const row = user.oidc;
    if (!row) throw notFound(`the user ${user.userId} is not an OIDC user`);
    const requested = typeof req.body?.secret === 'string' ? req.body.secret : '';
    let secret = requested;
    if (secret === '') {
      do secret = randomAlnum(9);
      while (!validCliSecret(secret));
    } else if (!validCliSecret(secret)) {
      throw badRequest(SECRET_RULE);
    }
    row.secret = secret;
    row.updateTime = now();
    res.status(200).end();
  });

  return router;
}
