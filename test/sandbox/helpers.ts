import { execFile } from 'node:child_process';
import * as client from 'openid-client';
import type { Sandbox } from '../../scripts/sandbox/sandbox.ts';

/** Shared helpers for the sandbox tests: HTTP calls, the CLI's device login, skopeo. */

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** One request to the Harbor origin; never keeps cookies (like the daemon must not). */
export async function call(
  sandbox: Sandbox,
  method: string,
  path: string,
  init: { auth?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth) headers.authorization = init.auth;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(sandbox.registryUrl + path, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function cliConfig(sandbox: Sandbox): Promise<client.Configuration> {
  return client.discovery(new URL(sandbox.issuer), sandbox.cliClientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
}

/** The CLI's device login, approved headlessly as `user`. */
export async function deviceLogin(
  sandbox: Sandbox,
  user: string,
  config?: client.Configuration,
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  const cfg = config ?? (await cliConfig(sandbox));
  const da = await client.initiateDeviceAuthorization(cfg, { scope: 'openid offline_access profile email' });
  const polling = client.pollDeviceAuthorizationGrant(cfg, da);
  await sandbox.approveDevice(da.verification_uri_complete as string, user);
  return polling;
}

export function decodeJwtPart(jwt: string, part: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[part], 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: env ?? process.env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
