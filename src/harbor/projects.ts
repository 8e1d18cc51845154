import { EidfError } from '../core/errors.ts';
import { failFor, harborRequest, type HarborHttp } from './http.ts';

/** A Harbor project as this product needs it. */
export interface HarborProject {
  projectId: number;
  name: string;
  /** The caller holds the projectAdmin role (id 1), the only project role that may create robots in 2.11. */
  isAdmin: boolean;
  /** `owner_name`: named in errors as someone who can create robots; undefined when Harbor omits it. */
  ownerName: string | undefined;
}

/** Harbor's project-name rule (`validateProjectName`), also used for robot names. */
const PROJECT_NAME_RULE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const PROJECT_ADMIN_ROLE = 1;
const PAGE_SIZE = 100;
/** Stop paging after this many pages: a name filter never matches that many projects in practice. */
const MAX_PAGES = 20;

/** Throws EidfError('USAGE') in one line when `name` cannot be a Harbor project name; reads nothing. */
export function validateProjectName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new EidfError('USAGE', 'project name must not be empty');
  if (name.length > 255 || !PROJECT_NAME_RULE.test(name)) {
    throw new EidfError(
      'USAGE',
      `project name ${JSON.stringify(name.slice(0, 80))} is not valid: Harbor project names are lower-case letters and digits, separated by single ".", "_" or "-"`,
    );
  }
}

/**
 * Finds the project called exactly `name` among those the ID token's user can see:
 * `GET /api/v2.0/projects?name=<name>&page_size=100` with Bearer (Harbor's `name` filter is fuzzy, so
 * the exact match is picked here), following pages. Reads nothing else, writes nothing.
 * Throws EidfError('USAGE') when no visible project has that name (unknown, or the user is not a member
 * of a private project: Harbor does not tell the two apart), and Harbor's errors via `failFor`.
 */
export async function findProject(http: HarborHttp, idToken: string, name: string): Promise<HarborProject> {
  validateProjectName(name);
  for (let page = 1; page <= MAX_PAGES; page++) {
    const query = new URLSearchParams({ name, page: String(page), page_size: String(PAGE_SIZE) });
    const answer = await harborRequest(http, 'GET', `/api/v2.0/projects?${query.toString()}`, { bearer: idToken });
    if (answer.status !== 200) failFor(answer, `listing projects named ${JSON.stringify(name)}`);
    if (!Array.isArray(answer.body))
      throw new EidfError('HARBOR_ERROR', 'Harbor answered the project list with something that is not a list');
    const found = (answer.body as unknown[]).map(toProject).find((project) => project?.name === name);
    if (found) return found;
    if (answer.body.length < PAGE_SIZE) break;
  }
  throw new EidfError(
    'USAGE',
    `no Harbor project ${JSON.stringify(name)} that you can see: check the name, or ask a project admin to add you to it`,
    {
      reason: 'unknown-project',
    },
  );
}

function toProject(raw: unknown): HarborProject | undefined {
  const p = raw as {
    project_id?: unknown;
    name?: unknown;
    owner_name?: unknown;
    current_user_role_ids?: unknown;
    current_user_role_id?: unknown;
  } | null;
  if (typeof p?.project_id !== 'number' || typeof p.name !== 'string') return undefined;
  const roles = Array.isArray(p.current_user_role_ids) ? p.current_user_role_ids : [p.current_user_role_id];
  return {
    projectId: p.project_id,
    name: p.name,
    isAdmin: roles.includes(PROJECT_ADMIN_ROLE),
    ownerName: typeof p.owner_name === 'string' && p.owner_name !== '' ? p.owner_name : undefined,
  };
}
