import express from 'express';
import type { Request, Response, Router } from 'express';
import { principalOf } from './security.ts';

export const HARBOR_VERSION = 'v2.11.2-35f09d55';
export const OIDC_PROVIDER_NAME = 'SAFE';

/** GET /systeminfo (anonymous callers get the short form) and GET /api/version. */
export function systemRoutes(origin: string): Router {
  const router = express.Router();
  router.get('/api/v2.0/systeminfo', (_req: Request, res: Response) => {
    const info: Record<string, unknown> = {
      auth_mode: 'oidc_auth',
      primary_auth_mode: true,
      self_registration: false,
      harbor_version: HARBOR_VERSION,
      banner_message: '',
      oidc_provider_name: OIDC_PROVIDER_NAME,
    };
    if (principalOf(res).kind !== 'anonymous') {
      Object.assign(info, {
        external_url: origin,
        registry_url: new URL(origin).host,
        current_time: new Date().toISOString(),
        read_only: false,
        project_creation_restriction: 'everyone',
        has_ca_root: false,
        registry_storage_provider_name: 'filesystem',
        notification_enable: true,
      });
    }
    res.json(info);
  });
  router.get('/api/version', (_req: Request, res: Response) => {
    res.json({ version: 'v2.0' });
  });
  return router;
}
