import type { Principal } from './rbac.ts';
import { roleIds } from './rbac.ts';
import type { HarborUser, Project, Robot } from './store.ts';
import { ROBOT_PREFIX } from './store.ts';

/** JSON shapes as Harbor's handlers build them (definitions in swagger-v2.0.yaml). */

/** UserResp; `oidc_user_meta` (with the plaintext CLI secret) only for OIDC users (id > 1). */
export function userResp(user: HarborUser): Record<string, unknown> {
  const out: Record<string, unknown> = {
    user_id: user.userId,
    username: user.username,
    email: user.email,
    realname: user.realname,
    comment: 'Onboarded via OIDC provider',
    sysadmin_flag: user.sysadmin,
    admin_role_in_auth: false,
  };
  if (user.oidc && user.userId > 1) {
    const row = user.oidc;
    out.oidc_user_meta = {
      id: row.id,
      user_id: user.userId,
      subiss: row.sub + row.iss,
      secret: row.secret,
      creation_time: row.creationTime,
      update_time: row.updateTime,
    };
  }
  out.creation_time = user.creationTime;
  out.update_time = user.updateTime;
  return out;
}

/** Project, with the caller's roles and the live repository count. */
export function projectResp(project: Project, principal: Principal, repoCount: number): Record<string, unknown> {
  const roles = roleIds(principal, project);
  const out: Record<string, unknown> = {
    project_id: project.projectId,
    owner_id: project.ownerId,
    name: project.name,
    creation_time: project.creationTime,
    update_time: project.creationTime,
    owner_name: project.ownerName,
    repo_count: repoCount,
    metadata: { public: String(project.public) },
    cve_allowlist: {
      id: project.projectId,
      project_id: project.projectId,
      items: [],
      creation_time: project.creationTime,
      update_time: project.creationTime,
    },
  };
  if (roles.length) {
    out.current_user_role_id = roles[0];
    out.current_user_role_ids = roles;
    out.togglable = roles.includes(1);
  }
  return out;
}

/** Robot as GET returns it: prefixed name, never the secret. */
export function robotResp(robot: Robot): Record<string, unknown> {
  return {
    id: robot.id,
    name: ROBOT_PREFIX + robot.name,
    description: robot.description,
    level: robot.level,
    duration: robot.duration,
    editable: true,
    disable: robot.disabled,
    expires_at: robot.expiresAt,
    permissions: robot.permissions.map((p) => ({
      kind: p.kind,
      namespace: p.namespace,
      access: p.access.map((a) => ({
        resource: a.resource,
        action: a.action,
        ...(a.effect ? { effect: a.effect } : {}),
      })),
    })),
    creation_time: robot.creationTime,
    update_time: robot.updateTime,
  };
}

/** Link header for a paged list, as Harbor's BaseAPI.Links builds it. */
export function pageLinks(path: string, query: URLSearchParams, total: number, page: number, pageSize: number): string {
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(query);
    q.set('page', String(p));
    q.set('page_size', String(pageSize));
    return `<${path}?${q.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page * pageSize < total) links.push(link(page + 1, 'next'));
  return links.join(' , ');
}

export function paging(query: Record<string, unknown>): { page: number; pageSize: number } {
  const page = Number(query.page ?? 1);
  const pageSize = Number(query.page_size ?? 10);
  return {
    page: Number.isInteger(page) && page > 0 ? page : 1,
    pageSize: Number.isInteger(pageSize) && pageSize > 0 ? pageSize : 10,
  };
}
