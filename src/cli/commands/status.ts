import type { Config } from '../../config.ts';
import { EidfError } from '../../core/errors.ts';
import type { KeptRobot } from '../../credentials/robot-secrets.ts';
import type { SecretStatus } from '../../credentials/secret-keeper.ts';
import { unsavedRefreshTokenLine, type SessionStatus } from '../../session/types.ts';
import type { AgentIdleExit, AgentStatusAnswer } from '../../agent/api.ts';
import { connectAgent } from '../../agent/client/connection.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../deps.ts';
import { EXIT } from '../exit-codes.ts';
import { EXPIRY_WARNING_DAYS, expiryNote } from './robot-expiry.ts';
import { localDateTime, paintFor, relativeIso, relativeTime, type Paint } from './report-format.ts';

/** The schema of `status --json` (stable: fields are only ever added; times absolute, ISO 8601 or ms). */
export interface StatusReport {
  registry: string;
  loggedIn: boolean;
  oidc: { issuer: string; clientId: string } | null;
  session: SessionStatus | null;
  registrySecret: SecretStatus;
  /** `path`: the secrets file, when the store is the file store. */
  store: { kind: string; reason: string; path?: string };
  /**
   * `log`: where the agent logs (a file, or the journalctl command for the systemd service);
   * `idleExit`: when it exits by itself (null: it stays running). Both absent from older agents.
   */
  agent: {
    pid: number;
    version: string;
    uptimeSeconds: number;
    socket: string;
    log?: string;
    idleExit?: AgentIdleExit | null;
  };
  /** Robots whose secrets the agent keeps (`expiresAt` ms, null = never; absent when not recorded). */
  robots: KeptRobot[];
}

/** The agent's answer as the contract has it; `robots` and `lifecycle` may be missing from an agent of an older build. */
type AgentStatus = Omit<AgentStatusAnswer, 'robots' | 'lifecycle'> &
  Partial<Pick<AgentStatusAnswer, 'robots'>> & { lifecycle?: Partial<AgentStatusAnswer['lifecycle']> };

/**
 * `status [--json]`: will pulls work, and until when; then login, store, agent. The report goes to
 * stdout (colour on a terminal only, never with NO_COLOR); `--json` is the stable form, with
 * absolute times. Exit 0 when the registry secret works or a session is logged in, 4 otherwise.
 * Starts the agent if needed.
 */
export async function statusCommand(args: ParsedArgs, deps: CliDeps, config: Config): Promise<number> {
  const json = args.values.json === true;
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
      ...(answer.lifecycle?.log !== undefined ? { log: answer.lifecycle.log } : {}),
      ...(answer.lifecycle?.idleExit !== undefined ? { idleExit: answer.lifecycle.idleExit } : {}),
    },
    robots: answer.robots ?? [],
  };
  if (json) {
    deps.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    // A robot about to expire breaks clusters silently: say so on stderr, beside the JSON.
    for (const line of robotWarnings(report.robots, deps.clock.now())) deps.stderr.write(`${line}\n`);
  } else {
    const paint = paintFor(deps.stdout, deps.env);
    deps.stdout.write(
      describeStatus(report, deps.clock.now(), paint)
        .map((line) => `${line}\n`)
        .join(''),
    );
  }
  return report.loggedIn ? EXIT.ok : EXIT.notLoggedIn;
}

const PROGRAM = 'docker-credential-eidf';
const LABEL_WIDTH = 12;

/** The report for people, one line each; relative local times. Pure but for the time zone. */
export function describeStatus(
  report: StatusReport,
  now: number,
  paint: Paint = paintFor({ write() {}, isTTY: false }, {}),
): string[] {
  const { session, registrySecret: secret } = report;
  const ago = (iso: string | null | undefined) => relativeIso(iso, now);
  const row = (label: string, text: string) => `  ${`${label}:`.padEnd(LABEL_WIDTH)}${text}`;
  const good = (text: string) => `${paint.ok('✓')} ${text}`;
  const bad = (text: string) => `${paint.bad('✗')} ${text}`;
  const warn = (text: string) => `${paint.warn('!')} ${text}`;
  const lines = [paint.bold(`registry ${report.registry}`)];

  // Who is logged in, and how.
  const sessionUp = session !== null && session.subject !== null;
  const who = session ? (session.username ?? session.email ?? session.subject) : null;
  if (session && sessionUp) {
    lines.push(good(`logged in as ${who} (device login at ${session.issuer})`));
  } else if (secret.mode === 'stored-secret' && secret.username) {
    lines.push(good(`logged in as Harbor user ${secret.username} with the CLI secret`));
  } else if (session?.state === 'logging-in' && session.loginPrompt) {
    const prompt = session.loginPrompt;
    lines.push(
      warn(
        `logging in: waiting for approval at ${prompt.verification_uri_complete ?? prompt.verification_uri} (code ${prompt.user_code})`,
      ),
    );
  } else if (session?.lastError) {
    lines.push(bad(`login failed: ${session.lastError.message}`));
  } else {
    lines.push(bad('not logged in'));
  }

  // Will pulls work?
  const user = secret.username ? ` of Harbor user ${secret.username}` : '';
  switch (secret.state) {
    case 'valid':
      lines.push(
        good(
          `pulls work: the registry secret${user} is valid${secret.validSince ? ` since ${ago(secret.validSince)}` : ''}`,
        ),
      );
      break;
    case 'needs-web-login':
      lines.push(
        bad(
          `pulls fail: Harbor refuses the registry secret${user}${secret.deadSince ? `, dead since ${ago(secret.deadSince)}` : ''}`,
        ),
      );
      break;
    case 'no-credential':
      lines.push(bad('pulls fail: no registry secret'));
      break;
    case 'not-onboarded':
      lines.push(bad(`pulls fail: Harbor does not know ${secret.username ?? 'you'} yet`));
      break;
    case 'unreachable':
      lines.push(
        warn(
          `pulls may fail: the registry is unreachable${secret.lastValidAt ? ` (the secret last worked ${ago(secret.lastValidAt)})` : ''}`,
        ),
      );
      break;
    case 'error':
      lines.push(warn(`pulls may fail: ${secret.lastError?.message ?? 'the registry secret could not be checked'}`));
      break;
    case 'unknown':
      lines.push(warn('pulls: the registry secret has not been checked yet'));
      break;
  }

  // When the user next has to act.
  if (secret.state === 'valid') lines.push(row('next login', nextLogin(report, now)));
  else if (secret.action) lines.push(row('to fix', secret.action.replace(/^run: /, '')));
  else if (!sessionUp && !(session?.state === 'logging-in')) lines.push(row('to fix', `${PROGRAM} login`));

  if (session && sessionUp) {
    if (session.idTokenExpiresAt)
      lines.push(
        row(
          'ID token',
          `expires ${ago(session.idTokenExpiresAt)}${session.nextRefreshAt ? `, renewed ${ago(session.nextRefreshAt)}` : ''}`,
        ),
      );
    if (session.lastError) lines.push(row('last error', paint.warn(session.lastError.message)));
    if (session.refreshTokenUnsaved)
      lines.push(row('warning', paint.warn(unsavedRefreshTokenLine(session.refreshTokenUnsaved))));
  }
  if (secret.lastCheckAt)
    lines.push(
      row(
        'checked',
        `${ago(secret.lastCheckAt)}${secret.nextCheckAt ? `, next check ${ago(secret.nextCheckAt)}` : ''}`,
      ),
    );
  if (secret.lastError && secret.state !== 'valid' && secret.state !== 'error')
    lines.push(row('why', secret.lastError.message));
  lines.push(...describeMode(report).map(([label, text]) => row(label, text)));
  for (const robot of report.robots) lines.push(row('robot', robotLine(robot, now, paint)));
  lines.push(row('store', `${report.store.kind} (${report.store.reason})`));
  const agent = report.agent;
  const idle =
    agent.idleExit === undefined
      ? ''
      : `; ${agent.idleExit ? `exits after ${duration(agent.idleExit.afterSeconds)} idle ${agent.idleExit.when}` : 'stays running'}`;
  lines.push(row('agent', `pid ${agent.pid}, version ${agent.version}, up ${duration(agent.uptimeSeconds)}${idle}`));
  if (agent.log) lines.push(row('agent log', agent.log));
  return lines;
}

/** "renews itself; next login needed by …" where the IdP tells, else "unknown". */
function nextLogin(report: StatusReport, now: number): string {
  const { session, registrySecret: secret } = report;
  if (secret.mode === 'oidc' && session?.subject) {
    const until = session.refreshTokenExpiresAt ? Date.parse(session.refreshTokenExpiresAt) : NaN;
    if (Number.isNaN(until)) return 'renews itself; next login needed: unknown (the IdP does not say)';
    if (session.refreshTokenExpirySlides)
      return `renews itself; next login needed: unknown (the IdP extends the login at each renewal, now to ${localDateTime(until)})`;
    return `renews itself; next login needed by ${localDateTime(until)} (${relativeTime(until, now)})`;
  }
  return `renews itself; next login needed: unknown (when Harbor ends its own session: then ${PROGRAM} login --web)`;
}

function robotLine(robot: KeptRobot, now: number, paint: Paint): string {
  if (robot.expiresAt === undefined) return `${robot.fullName}, secret kept, expiry unknown`;
  const note = expiryNote(robot.expiresAt, now);
  const text = `${robot.fullName}, secret kept, expires ${note.text}`;
  if (note.expired) return paint.bad(`${text}: ask a project admin to replace it`);
  if (note.soon) return paint.warn(`${text}: ask a project admin to extend or replace it`);
  return text;
}

/** `42 s`, `5 min`, `3 h 12 min`, `2 days 4 h`. */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} days${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** Which login mode is in use, why, and how to switch to the other one: [label, text] rows. */
function describeMode(report: StatusReport): Array<[string, string]> {
  const { registrySecret: secret, oidc, session } = report;
  const rows: Array<[string, string]> = [];
  if (secret.mode === 'oidc') {
    rows.push(['mode', `device login (OIDC): ${secret.modeReason ?? 'the secret is read from Harbor'}`]);
    rows.push(['to switch', `${PROGRAM} logout, then ${PROGRAM} login --secret (your CLI secret instead)`]);
  } else if (secret.mode === 'stored-secret') {
    rows.push(['mode', `CLI secret: ${secret.modeReason ?? 'the stored secret is kept alive'}`]);
    if (!oidc)
      rows.push([
        'to switch',
        `set EIDF_OIDC_ISSUER and EIDF_OIDC_CLIENT_ID (where the IdP offers a device login), then ${PROGRAM} login`,
      ]);
    else if (secret.modeReason?.includes('wins over'))
      rows.push(['to switch', `docker logout (or ${PROGRAM} logout) ends both, then ${PROGRAM} login`]);
    else if (session?.subject)
      rows.push(['to switch', "not possible while Harbor refuses the device login's ID token (see mode)"]);
    else rows.push(['to switch', `${PROGRAM} login (device login with ${oidc.issuer})`]);
  } else if (!oidc) {
    rows.push(['mode', 'CLI secret (no OIDC issuer configured)']);
  }
  return rows;
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
