import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { HeadlessBrowser } from '../../scripts/sandbox/browser-agent.ts';

/**
 * A small in-process OIDC provider (oidc-provider 9) for tests: device flow, rotating refresh
 * tokens, revocation, short token lifetimes, on 127.0.0.1 at a free port, plus a headless
 * "browser" that approves or denies a device login through the provider's own HTML pages
 * (test-rig §4). It records every request it receives, so tests can count refreshes at the IdP.
 */
export interface TestIdpOptions {
  /** Lifetime of ID and access tokens, seconds (default 4). */
  tokenTtl?: number;
  /** Lifetime of a device code, seconds (default 600). */
  deviceCodeTtl?: number;
  /** The `interval` the device authorization response advertises, seconds (default 0.05). */
  pollInterval?: number;
  /** Offer RFC 7009 revocation (default true). */
  revocation?: boolean;
}

export interface IdpRequest {
  method: string;
  path: string;
  /** `grant_type` of token-endpoint requests. */
  grantType: string | undefined;
  status: number;
}

export interface TestIdp {
  readonly issuer: string;
  readonly clientId: string;
  /** Every request received, in order. */
  readonly requests: IdpRequest[];
  /** How many refresh-token grants reached the token endpoint. */
  refreshRequests(): number;
  /** Signs in as `login` and approves the device login behind `verificationUriComplete`. */
  approve(verificationUriComplete: string, login?: string): Promise<void>;
  /** Presses "Abort" on the device confirmation page. */
  deny(verificationUriComplete: string): Promise<void>;
  /** Closes the listening socket and every connection (the IdP is "down"); state is kept. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export const TEST_CLIENT_ID = 'eidf-cli';
export const TEST_SCOPES = 'openid offline_access profile email';

type Ctx = {
  method: string;
  path: string;
  status: number;
  body: unknown;
  oidc?: { route?: string; params?: { grant_type?: unknown } };
};

export async function startTestIdp(options: TestIdpOptions = {}): Promise<TestIdp> {
  let handler: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const tokenTtl = options.tokenTtl ?? 4;
  const pollInterval = options.pollInterval ?? 0.05;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_name: 'EIDF CLI',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: {
      deviceFlow: { enabled: true },
      devInteractions: { enabled: true },
      revocation: { enabled: options.revocation ?? true },
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'] },
    conformIdTokenClaims: false,
    issueRefreshToken: async () => true,
    rotateRefreshToken: true,
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, preferred_username: sub, email: `${sub}@example.test` }),
    }),
    cookies: { keys: ['test-only-cookie-key'] },
    ttl: {
      AccessToken: tokenTtl,
      IdToken: tokenTtl,
      DeviceCode: options.deviceCodeTtl ?? 600,
      RefreshToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
    },
  });

  const requests: IdpRequest[] = [];
  provider.use(async (raw, next) => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- oidc-provider types ctx.oidc narrower than it is
    const ctx = raw as unknown as Ctx;
    await next();
    const grantType = ctx.oidc?.params?.grant_type;
    requests.push({
      method: ctx.method,
      path: ctx.path,
      grantType: typeof grantType === 'string' ? grantType : undefined,
      status: ctx.status,
    });
    // oidc-provider sends no `interval`, so clients would wait 5 s before the first poll.
    if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200 && typeof ctx.body === 'object' && ctx.body) {
      (ctx.body as Record<string, unknown>).interval = pollInterval;
    }
  });
  handler = provider.callback();

  return {
    issuer,
    clientId: TEST_CLIENT_ID,
    requests,
    refreshRequests: () => requests.filter((r) => r.grantType === 'refresh_token').length,
    approve: (uri, login = 'alice') => drive(uri, login, 'approve'),
    deny: (uri) => drive(uri, 'nobody', 'deny'),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    start: () => listen(server, port),
  };
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Walks the provider's own pages in the sandbox's headless browser: login with any password, then the
 * device confirmation continued (approve), or the device code aborted on its first page (deny: the provider
 * shows its code page again, "The Sign-in request was interrupted").
 */
async function drive(startUrl: string, login: string, decision: 'approve' | 'deny'): Promise<void> {
  const fill = { login, password: 'any' };
  if (decision === 'approve')
    await new HeadlessBrowser().walk(startUrl, fill, (page) => /Sign-in Success/.test(page.html));
  else
    await new HeadlessBrowser().walk(startUrl, fill, (page) => /request was interrupted/.test(page.html), {
      abort: 'yes',
    });
}
