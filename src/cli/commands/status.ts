import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { KeptRobot } from '../../credentials/robot-secrets.ts';
import type { SecretStatus } from '../../credentials/secret-keeper.ts';
import { unsavedRefreshTokenLine, type SessionStatus } from '../../session/types.ts';
import type { AgentStatusAnswer } from '../../agent/api.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';
import { EXPIRY_WARNING_DAYS, expiryNote } from './robot-expiry.ts';

/** The schema of `status --json` (stable: fields are only ever added). */
export interface StatusReport {
  registry: string;
  loggedIn: boolean;
  oidc: { issuer: string; clientId: string } | null;
  session: SessionStatus | null;
  registrySecret: SecretStatus;
  /** `path`: the secrets file, when the store is the file store. */
  store: { kind: string; reason: string; path?: string };
  agent: { pid: number; version: string; uptimeSeconds: number; socket: string };
  /** Robots whose secrets the agent keeps (`expiresAt` ms, null = never; absent when not recorded). */
  robots: KeptRobot[];
}

/** The agent's answer as the contract has it; `robots` may be missing from an agent of an older build. */
type AgentStatus = Omit<AgentStatusAnswer, 'robots'> & Partial<Pick<AgentStatusAnswer, 'robots'>>;

/**
 * `status [--json]`: registry, login, registry secret, store, agent. Exit 0 when the registry
 * secret works or a session is logged in, 4 otherwise. Starts the agent if needed.
 */
export async function statusCommand(args: string[], deps: CliDeps, config: Config): Promise<number> {
  const json = args.includes('--json');
  if (args.some((arg) => arg !== '--json'))
    throw new EidfError('USAGE', 'usage: docker-credential-eidf status [--json]');
  const answer = checkAgentStatus(await connectAgent(config, deps).call('GET /v1/status'));
  const session = answer.session;
  const report: StatusReport = {
    registry: answer.registry,
    loggedIn: answer.registrySecret.state === 'valid' || (session !== null && session.subject !== null),
    oidc: answer.oidc,
    session,
    registrySecret: answer.registrySecret,
    store: answer.agent.store,
    agent: {
      pid: answer.agent.pid,
      version: answer.agent.version,
      uptimeSeconds: answer.agent.uptimeSeconds,
      socket: config.paths.socket,
    },
    robots: answer.robots ?? [],
  };
  if (json) deps.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else
    deps.stderr.write(
      describe(report)
        .map((line) => `${line}\n`)
        .join(''),
    );
  // Even with --json: a robot about to expire breaks clusters silently, so say so on stderr.
  for (const line of robotWarnings(report.robots, deps.clock.now())) deps.stderr.write(`${line}\n`);
  return report.loggedIn ? EXIT.ok : EXIT.notLoggedIn;
}

function describe(report: StatusReport): string[] {
  const { session, registrySecret: secret } = report;
  const lines = [`registry:        ${report.registry}`];
  if (!session) {
    const who = report.registrySecret.username;
    lines.push(
      `login:           ${who ? `with the CLI secret of Harbor user ${who}` : 'none yet: run docker-credential-eidf login'} (no OIDC device login configured)`,
    );
  } else {
    const who = session.username ?? session.email ?? session.subject;
    lines.push(`login:           ${session.state}${who ? ` as ${who}` : ''}`);
    if (session.idTokenExpiresAt) lines.push(`ID token until:  ${session.idTokenExpiresAt}`);
    if (session.nextRefreshAt) lines.push(`next refresh:    ${session.nextRefreshAt}`);
    if (session.loginPrompt)
      lines.push(
        `waiting for:     ${session.loginPrompt.verification_uri_complete ?? session.loginPrompt.verification_uri} (code ${session.loginPrompt.user_code})`,
      );
    if (session.lastError) lines.push(`last error:      ${session.lastError.message}`);
    if (session.refreshTokenUnsaved)
      lines.push(`warning:         ${unsavedRefreshTokenLine(session.refreshTokenUnsaved)}`);
  }
  const since =
    secret.state === 'valid' && secret.validSince
      ? ` since ${secret.validSince}`
      : secret.state === 'needs-web-login' && secret.deadSince
        ? ` (refused) since ${secret.deadSince}`
        : '';
  lines.push(`registry secret: ${secret.state}${since}${secret.username ? ` (Harbor user ${secret.username})` : ''}`);
  lines.push(...describeMode(report));
  if (secret.lastCheckAt)
    lines.push(`last check:      ${secret.lastCheckAt}${secret.nextCheckAt ? `, next ${secret.nextCheckAt}` : ''}`);
  if (secret.lastError && secret.state !== 'valid') lines.push(`secret error:    ${secret.lastError.message}`);
  if (secret.action) lines.push(`to do:           ${secret.action}`);
  lines.push(`store:           ${report.store.kind} (${report.store.reason})`);
  lines.push(
    `agent:           pid ${report.agent.pid}, version ${report.agent.version}, up ${report.agent.uptimeSeconds}s`,
  );
  return lines;
}

/** Which login mode is in use, why, and how to switch to the other one. */
function describeMode(report: StatusReport): string[] {
  const { registrySecret: secret, oidc, session } = report;
  const lines: string[] = [];
  if (secret.mode === 'oidc') {
    lines.push(`mode:            device login (OIDC): ${secret.modeReason ?? 'the secret is read from Harbor'}`);
    lines.push(
      'to switch:       docker-credential-eidf logout, then docker-credential-eidf login --secret (your CLI secret instead)',
    );
  } else if (secret.mode === 'stored-secret') {
    lines.push(`mode:            CLI secret: ${secret.modeReason ?? 'the stored secret is kept alive'}`);
    if (!oidc)
      lines.push(
        'to switch:       set EIDF_OIDC_ISSUER and EIDF_OIDC_CLIENT_ID (where the IdP offers a device login), then docker-credential-eidf login',
      );
    else if (secret.modeReason?.includes('wins over'))
      lines.push(
        'to switch:       docker logout (or docker-credential-eidf logout) ends both, then docker-credential-eidf login',
      );
    else if (session?.subject)
      lines.push("to switch:       not possible while Harbor refuses the device login's ID token (see mode)");
    else lines.push(`to switch:       docker-credential-eidf login (device login with ${oidc.issuer})`);
  } else if (!oidc) {
    lines.push('mode:            CLI secret (no OIDC issuer configured): run docker-credential-eidf login');
  }
  return lines;
}

/** One warning per kept robot that has expired or expires within EXPIRY_WARNING_DAYS. */
function robotWarnings(robots: KeptRobot[], now: number): string[] {
  return robots.flatMap((robot) => {
    if (robot.expiresAt === undefined) return [];
    const note = expiryNote(robot.expiresAt, now);
    if (note.expired)
      return [`warning: robot ${robot.fullName} has expired (${note.text}): ask a project admin to replace it`];
    if (note.soon)
      return [
        `warning: robot ${robot.fullName} expires within ${EXPIRY_WARNING_DAYS} days (${note.text}): ask a project admin to extend or replace it`,
      ];
    return [];
  });
}

/**
 * The agent's answer, checked field by field before use: an agent of another build (or anything
 * else on the socket) gets one line naming what is missing, not a TypeError.
 */
function checkAgentStatus(answer: unknown): AgentStatus {
  const at = (path: string): unknown =>
    path
      .split('.')
      .reduce<unknown>(
        (v, key) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined),
        answer,
      );
  const wanted: Array<[string, 'string' | 'number' | 'object' | 'object|null']> = [
    ['registry', 'string'],
    ['oidc', 'object|null'],
    ['session', 'object|null'],
    ['registrySecret', 'object'],
    ['registrySecret.state', 'string'],
    ['agent', 'object'],
    ['agent.pid', 'number'],
    ['agent.version', 'string'],
    ['agent.uptimeSeconds', 'number'],
    ['agent.store', 'object'],
    ['agent.store.kind', 'string'],
    ['agent.store.reason', 'string'],
  ];
  if (at('session') !== null && at('session') !== undefined) wanted.push(['session.state', 'string']);
  const missing = wanted
    .filter(([path, type]) => {
      const value = at(path);
      if (type === 'object|null') return value !== null && (typeof value !== 'object' || Array.isArray(value));
      return type === 'object'
        ? typeof value !== 'object' || value === null || Array.isArray(value)
        : typeof value !== type;
    })
    .map(([path]) => path);
  if (missing.length === 0) return answer as AgentStatus;
  const pid = at('agent.pid');
  const version = at('agent.version');
  const who = `the agent${typeof pid === 'number' ? ` (pid ${pid}` : ''}${typeof version === 'string' ? `${typeof pid === 'number' ? ', ' : ' ('}version ${version}` : ''}${typeof pid === 'number' || typeof version === 'string' ? ')' : ''}`;
  return agentError(
    `${who} answered status without ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}; restart it: docker-credential-eidf daemon stop`,
  );
}

function agentError(message: string): never {
  throw new EidfError('AGENT_ERROR', message);
}
