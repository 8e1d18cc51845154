import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStatus, type StatusReport } from '../../src/cli/commands/status.ts';
import { formatChecks } from '../../src/cli/commands/doctor.ts';
import { check } from '../../src/doctor/verdicts.ts';
import { calendarDaysUntil, localDateTime, paintFor, relativeTime } from '../../src/cli/commands/report-format.ts';
import type { SecretStatus } from '../../src/credentials/secret-keeper.ts';
import type { SessionStatus } from '../../src/session/types.ts';
import { useTimeZone } from '../helpers/time-zone.ts';

/**
 * Issue 11: `status` answers "will my pulls work, and until when?" in relative, local times, with
 * natural wording and one line on when the user next has to act; colour only on a terminal.
 */
const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

useTimeZone('UTC');

function secret(overrides: Partial<SecretStatus> = {}): SecretStatus {
  return {
    state: 'valid',
    mode: 'oidc',
    modeReason: 'read from Harbor with the OIDC session',
    username: 'alice',
    lastCheckAt: iso(NOW - 30_000),
    lastValidAt: iso(NOW - 30_000),
    validSince: iso(NOW - 3 * DAY),
    deadSince: null,
    nextCheckAt: iso(NOW + 14 * MIN),
    lastError: null,
    action: null,
    ...overrides,
  };
}

function session(overrides: Partial<SessionStatus> = {}): SessionStatus {
  return {
    state: 'logged-in',
    issuer: 'https://idp.example',
    subject: 'sub-1',
    username: 'alice',
    email: null,
    idTokenExpiresAt: iso(NOW + 4 * MIN + 10_000),
    nextRefreshAt: iso(NOW + 3 * MIN + 10_000),
    refreshTokenExpiresAt: null,
    lastError: null,
    loginPrompt: null,
    refreshTokenUnsaved: null,
    ...overrides,
  };
}

function report(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    registry: 'registry.example',
    loggedIn: true,
    oidc: { issuer: 'https://idp.example', clientId: 'cli' },
    session: session(),
    registrySecret: secret(),
    store: { kind: 'keychain', reason: 'Secret Service' },
    agent: {
      pid: 42,
      version: '0.1.0',
      uptimeSeconds: 3700,
      socket: '/run/x/agent.sock',
      log: '/home/a/.local/state/docker-credential-eidf/agent.log',
      idleExit: null,
    },
    robots: [],
    ...overrides,
  };
}

const ESC = '\x1b';
const text = (r: StatusReport) => describeStatus(r, NOW).join('\n');

describe('relative and local times', () => {
  it('in 4 min, 3 days ago, just now; rounded down', () => {
    assert.equal(relativeTime(NOW + 4 * MIN + 59_000, NOW), 'in 4 min');
    assert.equal(relativeTime(NOW - 3 * DAY - 5 * MIN, NOW), '3 days ago');
    assert.equal(relativeTime(NOW + 30_500, NOW), 'in 30 s');
    assert.equal(relativeTime(NOW - 5 * 3_600_000, NOW), '5 h ago');
    assert.equal(relativeTime(NOW + 200, NOW), 'just now');
  });

  it('dates read in the local time zone', () => {
    assert.equal(localDateTime(NOW), 'Wed 2 Dec 2026, 12:00');
    process.env.TZ = 'Pacific/Auckland'; // UTC+13 in December
    assert.equal(localDateTime(NOW), 'Thu 3 Dec 2026, 01:00');
  });

  it('calendar days: a lifetime of N days seen a moment after it began is N days; later today is 0', () => {
    const created = NOW + 1500; // Harbor keeps whole seconds: expiry = start + N days, seen 1.5 s later
    assert.equal(calendarDaysUntil(NOW + 90 * DAY, created), 90);
    assert.equal(calendarDaysUntil(NOW + DAY, created), 1);
    assert.equal(calendarDaysUntil(NOW + 11 * 3_600_000, NOW), 0);
    process.env.TZ = 'America/Los_Angeles';
    assert.equal(calendarDaysUntil(NOW + 90 * DAY, created), 90);
  });
});

describe('status for people', () => {
  it('logged in: natural wording, pulls work since …, relative times only, agent log and idle behaviour', () => {
    const out = text(report());
    assert.match(out, /^registry registry\.example$/m);
    assert.match(out, /^✓ logged in as alice \(device login at https:\/\/idp\.example\)$/m);
    assert.match(out, /^✓ pulls work: the registry secret of Harbor user alice is valid since 3 days ago$/m);
    assert.match(out, /^ {2}ID token: +expires in 4 min, renewed in 3 min$/m);
    assert.match(out, /^ {2}checked: +30 s ago, next check in 14 min$/m);
    assert.match(out, /^ {2}agent: +pid 42, version 0\.1\.0, up 1 h 1 min; stays running$/m);
    assert.match(out, /^ {2}agent log: +\/home\/a\/\.local\/state\/docker-credential-eidf\/agent\.log$/m);
    assert.doesNotMatch(out, /\d{4}-\d\d-\d\dT/, 'no absolute instants in the human report');
    assert.doesNotMatch(out, /logged-in|^login: /m);
  });

  it('next login: by the date the IdP gives; unknown when it does not say, or when it extends the login at each renewal', () => {
    const until = NOW + 7 * DAY + 2 * MIN;
    assert.match(
      text(report({ session: session({ refreshTokenExpiresAt: iso(until) }) })),
      /^ {2}next login: +renews itself; next login needed by Wed 9 Dec 2026, 12:02 \(in 7 days\)$/m,
    );
    assert.match(
      text(report()),
      /^ {2}next login: +renews itself; next login needed: unknown \(the IdP does not say\)$/m,
    );
    assert.match(
      text(report({ session: session({ refreshTokenExpiresAt: iso(until), refreshTokenExpirySlides: true }) })),
      /next login needed: unknown \(the IdP extends the login at each renewal, now to Wed 9 Dec 2026, 12:02\)$/m,
    );
  });

  it('a dead registry secret: dead since, and the one command that fixes it', () => {
    const out = text(
      report({
        session: null,
        oidc: null,
        loggedIn: false,
        registrySecret: secret({
          state: 'needs-web-login',
          mode: 'stored-secret',
          modeReason: 'no OIDC issuer configured',
          validSince: null,
          deadSince: iso(NOW - 2 * 3_600_000 - MIN),
          action:
            'run: docker-credential-eidf login --web (or log in at https://registry.example/c/oidc/login in a browser), then try again',
        }),
      }),
    );
    assert.match(out, /^✓ logged in as Harbor user alice with the CLI secret$/m);
    assert.match(out, /^✗ pulls fail: Harbor refuses the registry secret of Harbor user alice, dead since 2 h ago$/m);
    assert.match(out, /^ {2}to fix: +docker-credential-eidf login --web \(or log in at/m);
    assert.doesNotMatch(out, /next login/);
  });

  it('not logged in, and a failed login: said as such, with what to run', () => {
    const none = text(
      report({
        loggedIn: false,
        session: session({ state: 'logged-out', subject: null, username: null, idTokenExpiresAt: null }),
        registrySecret: secret({
          state: 'no-credential',
          mode: null,
          username: null,
          action: 'run: docker-credential-eidf login',
        }),
      }),
    );
    assert.match(none, /^✗ not logged in$/m);
    assert.match(none, /^✗ pulls fail: no registry secret$/m);
    assert.match(none, /^ {2}to fix: +docker-credential-eidf login$/m);
    const failed = text(
      report({
        loggedIn: false,
        session: session({
          state: 'error',
          subject: null,
          username: null,
          lastError: { code: 'LOGIN_DENIED', message: 'the login was denied at the identity provider' },
        }),
        registrySecret: secret({
          state: 'no-credential',
          mode: null,
          username: null,
          action: 'run: docker-credential-eidf login',
        }),
      }),
    );
    assert.match(failed, /^✗ login failed: the login was denied at the identity provider$/m);
    assert.doesNotMatch(failed, /error as/);
  });

  it('kept robot secrets with their expiry; the agent that exits when idle says so', () => {
    const out = text(
      report({
        robots: [
          { fullName: 'robot$demo+k8s-pull', expiresAt: NOW + 90 * DAY },
          { fullName: 'robot$demo+old', expiresAt: NOW + 3 * DAY },
          { fullName: 'robot$demo+other', expiresAt: undefined },
        ],
        agent: { ...report().agent, idleExit: { afterSeconds: 600, when: 'with no session and no stored credential' } },
      }),
    );
    assert.match(out, /^ {2}robot: +robot\$demo\+k8s-pull, secret kept, expires 2027-03-02 \(in 90 days\)$/m);
    assert.match(out, /robot\$demo\+old, secret kept, expires 2026-12-05 \(in 3 days\): ask a project admin/);
    assert.match(out, /robot\$demo\+other, secret kept, expiry unknown/);
    assert.match(out, /; exits after 10 min idle with no session and no stored credential$/m);
  });
});

describe('colour', () => {
  const tty = { write() {}, isTTY: true };
  const pipe = { write() {}, isTTY: false };
  it('on a terminal only, and never with NO_COLOR', () => {
    assert.equal(paintFor(tty, {}).ok('x'), '\x1b[32mx\x1b[0m');
    assert.equal(paintFor(tty, { NO_COLOR: '1' }).ok('x'), 'x');
    assert.equal(paintFor(pipe, {}).bad('x'), 'x');
    assert.ok(
      describeStatus(report(), NOW, paintFor(tty, {})).includes(
        `${ESC}[32m✓${ESC}[0m logged in as alice (device login at https://idp.example)`,
      ),
    );
    assert.ok(
      !describeStatus(report(), NOW, paintFor(tty, { NO_COLOR: '1' }))
        .join('\n')
        .includes(ESC),
    );
  });

  it('doctor colours the verdict on a terminal and nothing else', () => {
    const checks = [check('config', 'ok', 'fine'), check('agent', 'fail', 'down', 'start it')];
    const coloured = formatChecks(checks, paintFor(tty, {}));
    assert.ok(coloured.startsWith(`${ESC}[32mok  ${ESC}[0m config`), coloured);
    assert.ok(coloured.includes(`\n${ESC}[31mfail${ESC}[0m agent`), coloured);
    assert.equal(formatChecks(checks, paintFor(tty, { NO_COLOR: 'yes' })), formatChecks(checks));
    assert.ok(!formatChecks(checks).includes(ESC));
  });
});
