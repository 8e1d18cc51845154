import express from 'express';
import type { Request, Response, Router } from 'express';
import { HarborError, forbidden, notFound, unauthorized } from './errors.ts';
import { pageLinks, paging, projectResp } from './present.ts';
import { canSeeProject } from './rbac.ts';
import { principalOf } from './security.ts';
import type { HarborStore } from './store.ts';

/** Counts repositories per project name (read from the real registry's catalog). */
export type RepoCounter = () => Promise<Map<string, number>>;

export function projectRoutes(store: HarborStore, repoCounts: RepoCounter): Router {
  const router = express.Router();

  // Anonymous callers see public projects; users also see projects they are members of.
  router.get('/api/v2.0/projects', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const { page, pageSize } = paging(req.query);
    if (pageSize > 100)
      throw new HarborError('UNPROCESSABLE_ENTITY', 'page_size in query should be less than or equal to 100');
    const name = typeof req.query.name === 'string' ? req.query.name : undefined;
    const pub = typeof req.query.public === 'string' ? req.query.public : undefined;
    const visible = store.projects
      .filter((p) => canSeeProject(principal, p))
      .filter((p) => name === undefined || p.name.includes(name))
      .filter((p) => pub === undefined || String(p.public) === pub);
    const counts = await repoCounts();
    const slice = visible.slice((page - 1) * pageSize, page * pageSize);
    res.setHeader('X-Total-Count', String(visible.length));
    const links = pageLinks(req.path, new URLSearchParams(req.url.split('?')[1] ?? ''), visible.length, page, pageSize);
    if (links) res.setHeader('Link', links);
    res.json(slice.map((p) => projectResp(p, principal, counts.get(p.name) ?? 0)));
  });

  router.get('/api/v2.0/projects/:key', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const project = store.projectByNameOrId(String(req.params.key));
    if (!project) throw notFound(`project ${String(req.params.key)} not found`);
    if (!canSeeProject(principal, project)) throw principal.kind === 'anonymous' ? unauthorized() : forbidden();
    const counts = await repoCounts();
    res.json(projectResp(project, principal, counts.get(project.name) ?? 0));
  });

  return router;
}
