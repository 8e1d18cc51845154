/**
 * Who exists in the sandbox. The IdP knows the people (the SAFE side); Harbor's project
 * memberships are seeded by username, as if an admin had added each person after onboarding.
 */
export const SANDBOX_PASSWORD = 'eidf-sandbox';

export interface SandboxAccount {
  username: string;
  /** Stable subject at the IdP; deliberately not the username, so nobody confuses the two. */
  sub: string;
  name: string;
  email: string;
  /** The IdP's groups for the person (a `groups` claim, when the sandbox grants membership by group). */
  groups: readonly string[];
}

export const ACCOUNTS: readonly SandboxAccount[] = [
  {
    username: 'alice',
    sub: 'safe-7f3a-alice',
    name: 'Alice Admin',
    email: 'alice@sandbox.eidf.test',
    groups: ['demo-admins'],
  },
  {
    username: 'bob',
    sub: 'safe-81c2-bob',
    name: 'Bob Developer',
    email: 'bob@sandbox.eidf.test',
    groups: ['demo-developers'],
  },
  { username: 'carol', sub: 'safe-9d04-carol', name: 'Carol Newcomer', email: 'carol@sandbox.eidf.test', groups: [] },
];

export function accountByUsername(username: string): SandboxAccount | undefined {
  return ACCOUNTS.find((a) => a.username === username);
}

export function accountBySub(sub: string): SandboxAccount | undefined {
  return ACCOUNTS.find((a) => a.sub === sub);
}

/** Harbor role ids (src/common/const.go). */
export const ROLE = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;

export interface ProjectSeed {
  name: string;
  public: boolean;
  /** username → role id */
  members: Record<string, number>;
  /** IdP group → role id: the same people as `members`, for a sandbox run with membership by group only. */
  groups: Record<string, number>;
}

/** `library` is Harbor's default public project (owned by admin); `demo` is private. */
export const PROJECT_SEEDS: readonly ProjectSeed[] = [
  { name: 'library', public: true, members: {}, groups: {} },
  {
    name: 'demo',
    public: false,
    members: { alice: ROLE.projectAdmin, bob: ROLE.developer },
    groups: { 'demo-admins': ROLE.projectAdmin, 'demo-developers': ROLE.developer },
  },
];
