import { mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadlessBrowser, approveDevice } from './browser-agent.ts';
import { harborApp } from './harbor/app.ts';
import { HarborOidcClient } from './harbor/oidc-client.ts';
import { CSRF_HEADER, SESSION_COOKIE } from './harbor/security.ts';
import { HarborStore } from './harbor/store.ts';
import { REGISTRY_SERVICE, TOKEN_ISSUER, signRegistryToken } from './harbor/token-service.ts';
import { closeServer, listenLoopback } from './http-util.ts';
import { CLI_CLIENT_ID, HARBOR_CLIENT_ID, startIdp } from './idp/server.ts';
import type { Idp, TokenRequest } from './idp/server.ts';
import { createTokenSigningKey } from './registry/keys.ts';
import { startRegistry } from './registry/process.ts';
import type { RegistryProcess } from './registry/process.ts';
import { catalogCounter } from './registry/proxy.ts';
import { SANDBOX_PASSWORD, accountByUsername } from './users.ts';

export interface SandboxOptions {
  /** IdP access token and ID token lifetime, seconds (default 300). */
  accessTokenTtl?: number;
  /** A refresh token unused this long is dead, seconds (default 3600). */
  refreshIdleTtl?: number;
  /** Grant/session limit counted from login; no refresh works after it, seconds (default 43200). */
  refreshAbsoluteTtl?: number;
  /** Lifetime of Harbor's registry tokens from /service/token, seconds (default 1800). */
  tokenServiceTtl?: number;
  /** Harbor's web login asks for `offline_access`, so Harbor gets a refresh token (default true). */
  harborRefreshToken?: boolean;
  /** Harbor's web login sends `prompt=consent` (default true; real Harbor sends none unless configured). */
  consentPrompt?: boolean;
  /** `env` names the IdP and the CLI client (default true); false plays EIDF today: no device login known. */
  cliOidc?: boolean;
  /**
   * Project membership only through the `groups` claim, which only Harbor's own client gets in
   * its ID tokens (default false): the web UI and CLI secrets see `demo`, the CLI's bearer does not.
   */
  groupsOnlyMembership?: boolean;
  /** CLI ID tokens carry Harbor's client id in `aud` (default true). */
  harborAudience?: boolean;
  /** Approve every new device code as this user, shortly after it is issued. */
  autoApprove?: string;
  /** `interval` (seconds, fractions allowed) in device authorization responses (default 5). */
  devicePollInterval?: number;
  /** Lifetime of a device code, whole seconds (default 600); short ones let a login expire in tests. */
  deviceCodeTtl?: number;
  /** Users who have logged in to Harbor's web UI at start (default alice and bob). */
  onboarded?: string[];
  /** Fixed Harbor port (default: any free port). */
  port?: number;
  /** Start the real registry behind /v2/ (default true; false gives an API-only sandbox). */
  registry?: boolean;
  /** Diagnostic lines (never secrets). Default: stderr when SANDBOX_DEBUG=1, else silent. */
  log?: (line: string) => void;
}

export interface Sandbox {
  /** The variables the CLI needs, as `main.ts` prints them. */
  env: Record<string, string>;
  /** Harbor origin that also serves /v2/, e.g. http://127.0.0.1:PORT. */
  registryUrl: string;
  /** host:port, the key Docker uses for this registry. */
  registryHost: string;
  issuer: string;
  cliClientId: string;
  harborClientId: string;
  /** Signs in at the IdP as `user` and approves the device code (headless). */
  approveDevice(verificationUriComplete: string, user: string): Promise<void>;
  /** Harbor web login (/c/oidc/login → IdP → callback); onboards on first login. */
  webLogin(user: string): Promise<void>;
  /** Like webLogin, and returns the web session (cookie header and CSRF token) for tests. */
  webSession(user: string): Promise<{ cookie: string; csrfToken: string }>;
  /** Ends the user's IdP sessions, grants and tokens for all clients (Harbor's stored ones too). */
  revokeIdpSession(user: string): Promise<void>;
  /** Every request to the IdP's token endpoint so far (grant type, client, status, OAuth error). */
  idpTokenRequests(): readonly TokenRequest[];
  /** The user's current CLI secret (test hook), undefined before onboarding. */
  cliSecretOf(user: string): string | undefined;
  /** Makes a robot expired now (test hook; Harbor's durations are whole days). */
  expireRobot(robotId: number): void;
  /**
   * Makes the OIDC token Harbor stored at the user's last web login count as expired now (test hook:
   * its access token's lifetime over without waiting it out). Harbor's next check then refreshes it,
   * which only works if Harbor holds a refresh token.
   */
  expireHarborToken(user: string): void;
  stop(): Promise<void>;
}

/** Starts the IdP, Harbor's API and the real registry on 127.0.0.1. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log =
    options.log ??
    (process.env.SANDBOX_DEBUG === '1' ? (l: string) => process.stderr.write(`sandbox: ${l}\n`) : () => {});
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'eidf-sandbox-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const harbor = await listenLoopback(options.port ?? 0);
    cleanups.push(() => closeServer(harbor.server));
    const origin = `http://127.0.0.1:${harbor.port}`;

    // eslint-disable-next-line prefer-const -- assigned once the browser helpers below exist
    let sandboxRef: { approve: (uri: string, user: string) => Promise<void> } | undefined;
    const autoApprove = options.autoApprove;
    if (autoApprove && !accountByUsername(autoApprove))
      throw new Error(`--auto-approve: unknown sandbox user ${autoApprove}`);
    const [idp, signingKey]: [Idp, Awaited<ReturnType<typeof createTokenSigningKey>>] = await Promise.all([
      startIdp({
        accessTokenTtl: options.accessTokenTtl ?? 300,
        refreshIdleTtl: options.refreshIdleTtl ?? 3600,
        refreshAbsoluteTtl: options.refreshAbsoluteTtl ?? 43_200,
        harborAudience: options.harborAudience ?? true,
        harborGroupsClaim: options.groupsOnlyMembership ?? false,
        devicePollInterval: options.devicePollInterval ?? 5,
        ...(options.deviceCodeTtl !== undefined ? { deviceCodeTtl: options.deviceCodeTtl } : {}),
        harborRedirectUri: `${origin}/c/oidc/callback`,
        onDeviceCode: autoApprove
          ? (uri: string) => {
              setTimeout(() => {
                sandboxRef
                  ?.approve(uri, autoApprove)
                  .then(() => log(`auto-approved a device code as ${autoApprove}`))
                  .catch((err: unknown) =>
                    process.stderr.write(
                      `sandbox: auto-approve failed: ${err instanceof Error ? err.message : String(err)}\n`,
                    ),
                  );
              }, 100);
            }
          : undefined,
      }),
      createTokenSigningKey(dir),
    ]);
    cleanups.push(() => idp.close());

    let registry: RegistryProcess | undefined;
    if (options.registry ?? true) {
      registry = await startRegistry({
        dir: join(dir, 'registry'),
        realm: `${origin}/service/token`,
        service: REGISTRY_SERVICE,
        issuer: TOKEN_ISSUER,
        certPath: signingKey.certPath,
      });
      cleanups.push(() => (registry as RegistryProcess).stop());
    }

    const store = new HarborStore({ groupsOnly: options.groupsOnlyMembership ?? false });
    const oidc = await HarborOidcClient.discover(
      idp.issuer,
      HARBOR_CLIENT_ID,
      idp.harborClientSecret,
      `${origin}/c/oidc/callback`,
      {
        offlineAccess: options.harborRefreshToken ?? true,
        consentPrompt: options.consentPrompt ?? true,
      },
    );
    const tokenServiceTtl = options.tokenServiceTtl ?? 1800;
    const repoCounts = registry
      ? catalogCounter(registry.url, () =>
          signRegistryToken(signingKey, 'harbor-core', [{ type: 'registry', name: 'catalog', actions: ['*'] }], 60),
        )
      : async () => new Map<string, number>();
    const app = harborApp({
      store,
      oidc,
      origin,
      signingKey,
      tokenServiceTtl,
      registryUrl: registry?.url,
      repoCounts,
      log,
    });
    harbor.server.on('request', app as unknown as http.RequestListener);

    const webLoginBrowser = async (user: string): Promise<HeadlessBrowser> => {
      if (!accountByUsername(user)) throw new Error(`unknown sandbox user: ${user}`);
      const browser = new HeadlessBrowser();
      await browser.walk(
        `${origin}/c/oidc/login`,
        { username: user, password: SANDBOX_PASSWORD },
        (page) => page.status === 200 && new URL(page.url).origin === origin && new URL(page.url).pathname === '/',
      );
      return browser;
    };
    sandboxRef = { approve: approveDevice };
    for (const user of options.onboarded ?? ['alice', 'bob']) await webLoginBrowser(user);

    const env: Record<string, string> = {
      EIDF_REGISTRY: origin,
      ...((options.cliOidc ?? true) ? { EIDF_OIDC_ISSUER: idp.issuer, EIDF_OIDC_CLIENT_ID: CLI_CLIENT_ID } : {}),
      EIDF_ALLOW_INSECURE_LOOPBACK: '1',
    };
    let stopped: Promise<void> | undefined;
    return {
      env,
      registryUrl: origin,
      registryHost: new URL(origin).host,
      issuer: idp.issuer,
      cliClientId: CLI_CLIENT_ID,
      harborClientId: HARBOR_CLIENT_ID,
      approveDevice,
      webLogin: async (user) => {
        await webLoginBrowser(user);
      },
      webSession: async (user) => {
        const browser = await webLoginBrowser(user);
        const cookie = `${SESSION_COOKIE}=${browser.cookies.get(SESSION_COOKIE) ?? ''}`;
        const res = await fetch(`${origin}/api/v2.0/systeminfo`, { headers: { cookie } });
        await res.body?.cancel();
        return { cookie, csrfToken: res.headers.get(CSRF_HEADER) ?? '' };
      },
      revokeIdpSession: async (user) => {
        idp.revokeUser(user);
      },
      idpTokenRequests: () => idp.tokenRequests,
      cliSecretOf: (user) => store.userByName(user)?.oidc?.secret,
      expireRobot: (robotId) => {
        const robot = store.robotById(robotId);
        if (!robot) throw new Error(`no robot ${robotId}`);
        robot.expiresAt = Math.floor(Date.now() / 1000) - 1;
      },
      expireHarborToken: (user) => {
        const row = store.userByName(user)?.oidc;
        if (!row) throw new Error(`${user} has no web login at Harbor`);
        row.token.expiry = Date.now();
      },
      stop: () => (stopped ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
