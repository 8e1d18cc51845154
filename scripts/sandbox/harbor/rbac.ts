import type { HarborUser, Project, Robot } from './store.ts';

/**
 * Who may do what, after Harbor's rbac_role.go (only the parts the sandbox serves):
 * repository pull/push/delete and robot create/read/list/update/delete per project role.
 */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; user: HarborUser; via: 'oidc-cli' | 'id-token' | 'session'; groups?: readonly string[] }
  | { kind: 'robot'; robot: Robot };

const REPOSITORY_ACTIONS: Record<number, string[]> = {
  1: ['pull', 'push', 'delete'], // projectAdmin
  4: ['pull', 'push', 'delete'], // maintainer
  2: ['pull', 'push'], // developer
  3: ['pull'], // guest
  5: ['pull'], // limitedGuest
};

const ROBOT_ACTIONS: Record<number, string[]> = {
  1: ['create', 'read', 'list', 'update', 'delete'], // only project admins manage robots in 2.11
  4: ['read', 'list'],
  2: ['read', 'list'],
  3: ['read', 'list'],
};

export function roleIds(principal: Principal, project: Project): number[] {
  if (principal.kind !== 'user') return [];
  // Harbor's OIDC groups: for each request, from the groups claim it was authenticated with
  // (the bearer's ID token, the stored token for a CLI secret, the web login for a session).
  const roles = [
    project.members.get(principal.user.username),
    ...(principal.groups ?? []).map((g) => project.groupMembers.get(g)),
  ];
  return [...new Set(roles.filter((r): r is number => r !== undefined))];
}

export function isSysadmin(principal: Principal): boolean {
  return principal.kind === 'user' && principal.user.sysadmin;
}

/** Can the principal see the project at all (list/get)? */
export function canSeeProject(principal: Principal, project: Project): boolean {
  if (project.public || isSysadmin(principal)) return true;
  if (principal.kind === 'robot') return principal.robot.projectId === project.projectId;
  return roleIds(principal, project).length > 0;
}

export function repositoryActions(principal: Principal, project: Project): string[] {
  if (isSysadmin(principal)) return ['pull', 'push', 'delete', 'scanner-pull'];
  if (principal.kind === 'robot') return robotGrants(principal.robot, project, 'repository');
  const granted = new Set(roleIds(principal, project).flatMap((r) => REPOSITORY_ACTIONS[r] ?? []));
  if (project.public) granted.add('pull');
  return [...granted];
}

export function robotActions(principal: Principal, project: Project): string[] {
  if (isSysadmin(principal)) return ROBOT_ACTIONS[1];
  return roleIds(principal, project).flatMap((r) => ROBOT_ACTIONS[r] ?? []);
}

function robotGrants(robot: Robot, project: Project, resource: string): string[] {
  const applies = (ns: string) => ns === project.name || ns === '*';
  const actions = robot.permissions
    .filter((p) => applies(p.namespace) && (robot.level === 'system' || robot.projectId === project.projectId))
    .flatMap((p) => p.access.filter((a) => a.resource === resource && a.effect !== 'deny').map((a) => a.action));
  return [...new Set(actions)];
}

/** Valid project-level robot permissions (a subset of rbac.PoliciesMap["Project"]). */
export const PROJECT_POLICIES: Record<string, string[]> = {
  repository: ['list', 'pull', 'push', 'delete'],
  artifact: ['read', 'list', 'delete'],
  tag: ['list', 'create', 'delete'],
  'artifact-label': ['create', 'delete'],
  scan: ['create', 'stop', 'read'],
  sbom: ['create', 'stop', 'read'],
  helm: ['read'],
  'helm-chart': ['read'],
  'helm-chart-version': ['create', 'delete'],
  log: ['list'],
  label: ['read', 'list', 'create', 'update', 'delete'],
  metadata: ['read', 'list', 'create', 'update', 'delete'],
  'notification-policy': ['read', 'list', 'create', 'update', 'delete'],
  'immutable-tag': ['list', 'create', 'update', 'delete'],
  'tag-retention': ['read', 'list', 'create', 'update', 'delete', 'operate'],
  accessory: ['list'],
};
