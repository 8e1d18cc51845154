import { createHash, randomBytes, randomInt } from 'node:crypto';
import { PROJECT_SEEDS } from '../users.ts';

/**
 * Harbor's database, in memory: users with their `oidc_user` row (CLI secret + the OAuth2
 * token stored at the last web login), projects with members, robots and web sessions.
 */
export interface StoredToken {
  accessToken: string;
  tokenType: string;
  refreshToken: string;
  /** ms since epoch; undefined when the IdP sent no expires_in (then it never expires). */
  expiry: number | undefined;
  idToken: string;
}

export interface OidcUserRow {
  id: number;
  sub: string;
  iss: string;
  secret: string;
  token: StoredToken;
  creationTime: string;
  updateTime: string;
}

export interface HarborUser {
  userId: number;
  username: string;
  email: string;
  realname: string;
  sysadmin: boolean;
  creationTime: string;
  updateTime: string;
  oidc?: OidcUserRow;
}

export interface Project {
  projectId: number;
  name: string;
  ownerId: number;
  ownerName: string;
  public: boolean;
  /** username → role id (seeded by name; see users.ts) */
  members: Map<string, number>;
  /** IdP group → role id (Harbor's OIDC groups as project members). */
  groupMembers: Map<string, number>;
  creationTime: string;
}

export interface RobotAccess {
  resource: string;
  action: string;
  effect?: string;
}
export interface RobotPermission {
  kind: string;
  namespace: string;
  access: RobotAccess[];
}

export interface Robot {
  id: number;
  /** Stored name without the `robot$` prefix: `<project>+<name>` for project robots. */
  name: string;
  description: string;
  level: 'project' | 'system';
  projectId: number;
  duration: number;
  expiresAt: number; // unix seconds, -1 = never
  disabled: boolean;
  salt: string;
  secretHash: string;
  permissions: RobotPermission[];
  creationTime: string;
  updateTime: string;
}

export interface WebSession {
  csrfToken: string;
  userId?: number;
  oidcState?: string;
  redirectUrl?: string;
  /** The groups claim of the web login's ID token. */
  groups?: string[];
}

export const ROBOT_PREFIX = 'robot$';
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Harbor's GenerateRandomString: 32 characters from [a-zA-Z0-9]. */
export function randomAlnum(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

export function hashSecret(secret: string, salt: string): string {
  return createHash('sha256')
    .update(salt + secret)
    .digest('hex');
}

export function now(): string {
  return new Date().toISOString();
}

export class HarborStore {
  readonly users: HarborUser[] = [];
  readonly projects: Project[] = [];
  readonly robots: Robot[] = [];
  readonly sessions = new Map<string, WebSession>();
  // Harbor reserves 1 (admin) and 2 (anonymous); OIDC users are onboarded from 3 on.
  private nextUserId = 3;
  private nextOidcRowId = 1;
  private nextRobotId = 1;

  /** `groupsOnly`: project members are IdP groups, none by username (membership from a groups claim only). */
  constructor(options: { groupsOnly?: boolean } = {}) {
    const created = now();
    PROJECT_SEEDS.forEach((seed, i) =>
      this.projects.push({
        projectId: i + 1,
        name: seed.name,
        ownerId: 1,
        ownerName: 'admin',
        public: seed.public,
        members: new Map(options.groupsOnly ? [] : Object.entries(seed.members)),
        groupMembers: new Map(options.groupsOnly ? Object.entries(seed.groups) : []),
        creationTime: created,
      }),
    );
    for (const project of this.projects) {
      const owner = [...project.members].find(([, role]) => role === 1)?.[0];
      if (owner) project.ownerName = owner;
    }
  }

  userByName(username: string): HarborUser | undefined {
    return this.users.find((u) => u.username === username);
  }

  userById(id: number): HarborUser | undefined {
    return this.users.find((u) => u.userId === id);
  }

  userBySubIss(sub: string, iss: string): HarborUser | undefined {
    return this.users.find((u) => u.oidc?.sub === sub && u.oidc.iss === iss);
  }

  /** First web login: creates the user and its oidc_user row with a fresh 32-char secret. */
  onboard(
    info: { username: string; email: string; realname: string; sub: string; iss: string },
    token: StoredToken,
  ): HarborUser {
    const time = now();
    const user: HarborUser = {
      userId: this.nextUserId++,
      username: info.username,
      email: info.email,
      realname: info.realname,
      sysadmin: false,
      creationTime: time,
      updateTime: time,
      oidc: {
        id: this.nextOidcRowId++,
        sub: info.sub,
        iss: info.iss,
        secret: randomAlnum(32),
        token,
        creationTime: time,
        updateTime: time,
      },
    };
    this.users.push(user);
    for (const project of this.projects) {
      if (project.ownerName === user.username) project.ownerId = user.userId;
    }
    return user;
  }

  projectByNameOrId(key: string | number): Project | undefined {
    return this.projects.find((p) => p.name === String(key) || p.projectId === Number(key));
  }

  robotById(id: number): Robot | undefined {
    return this.robots.find((r) => r.id === id);
  }

  robotByName(name: string): Robot | undefined {
    return this.robots.find((r) => r.name === name);
  }

  addRobot(robot: Omit<Robot, 'id' | 'salt' | 'secretHash'>, secret: string): Robot {
    const salt = randomBytes(16).toString('hex');
    const stored: Robot = { ...robot, id: this.nextRobotId++, salt, secretHash: hashSecret(secret, salt) };
    this.robots.push(stored);
    return stored;
  }

  deleteRobot(id: number): void {
    const i = this.robots.findIndex((r) => r.id === id);
    if (i >= 0) this.robots.splice(i, 1);
  }

  newSession(): [string, WebSession] {
    const sid = randomBytes(16).toString('hex');
    const session: WebSession = { csrfToken: randomBytes(24).toString('base64url') };
    this.sessions.set(sid, session);
    return [sid, session];
  }
}
