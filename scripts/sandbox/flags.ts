import type { SandboxOptions } from './sandbox.ts';
import { accountByUsername } from './users.ts';

export class FlagError extends Error {}

const USAGE =
  'usage: sandbox [--access-ttl S] [--refresh-idle-ttl S] [--refresh-absolute-ttl S] ' +
  '[--token-service-ttl S] [--device-interval S] [--device-code-ttl S] [--no-harbor-audience] [--harbor-no-refresh-token] [--no-consent-prompt] [--no-device-login] [--groups-only-membership] [--auto-approve USER] [--port N]';

/** Parses main.ts's flags into SandboxOptions; throws FlagError with a one-line message. */
export function parseFlags(argv: string[]): SandboxOptions {
  const options: SandboxOptions = {};
  const seconds: Record<string, keyof SandboxOptions> = {
    '--access-ttl': 'accessTokenTtl',
    '--refresh-idle-ttl': 'refreshIdleTtl',
    '--refresh-absolute-ttl': 'refreshAbsoluteTtl',
    '--token-service-ttl': 'tokenServiceTtl',
    '--device-interval': 'devicePollInterval',
    '--device-code-ttl': 'deviceCodeTtl',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new FlagError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') throw new FlagError(USAGE);
    if (flag in seconds) {
      const raw = value();
      const n = Number(raw);
      const integer = flag !== '--device-interval';
      if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
        throw new FlagError(`${flag} needs a positive ${integer ? 'whole ' : ''}number of seconds, got "${raw}"`);
      }
      (options as Record<string, unknown>)[seconds[flag]] = n;
    } else if (flag === '--no-harbor-audience') {
      options.harborAudience = false;
    } else if (flag === '--harbor-no-refresh-token') {
      options.harborRefreshToken = false;
    } else if (flag === '--no-consent-prompt') {
      options.consentPrompt = false;
    } else if (flag === '--no-device-login') {
      options.cliOidc = false;
    } else if (flag === '--groups-only-membership') {
      options.groupsOnlyMembership = true;
    } else if (flag === '--auto-approve') {
      const user = value();
      if (!accountByUsername(user))
        throw new FlagError(`--auto-approve: unknown sandbox user "${user}" (alice, bob, carol)`);
      options.autoApprove = user;
    } else if (flag === '--port') {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new FlagError(`--port needs a port number, got "${raw}"`);
      options.port = n;
    } else {
      throw new FlagError(`unknown flag "${flag}"; ${USAGE}`);
    }
  }
  return options;
}
