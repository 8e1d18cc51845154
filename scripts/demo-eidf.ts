/**
 * The demo's second part, the EIDF path: the CLI has no OIDC client (EIDF offers no public device
 * client), so the login uses the CLI secret from Harbor's web profile; and Harbor holds no refresh
 * token for the IdP (SAFE), so that secret dies once Harbor's stored token expires (here 35 s after
 * the web login, at EIDF some hours) and a web login brings the same secret back.
 */
import { join } from 'node:path';
import { heading, note, show } from './demo-steps.ts';
import { HeadlessBrowser } from './sandbox/browser-agent.ts';
import { writeTinyOciImage } from './sandbox/oci-image.ts';
import { startSandbox } from './sandbox/sandbox.ts';
import { SANDBOX_PASSWORD } from './sandbox/users.ts';
import { HELPER_BIN } from '../test/helpers/cli.ts';
import { runInProcess } from '../test/helpers/headless.ts';

/**
 * IdP token lifetime; Harbor treats its stored token as expired 10 s early (oauth2's expiryDelta).
 * 45 s leaves room for the steps after each web login on a loaded machine; the demo's test asks for
 * less through DEMO_TOKEN_TTL_SECONDS (the wait for the secret to die is most of the demo's time).
 */
const ACCESS_TOKEN_TTL_S = Number(process.env.DEMO_TOKEN_TTL_SECONDS) || 45;
/** How often the agent checks the secret; the demo's test asks for less through DEMO_KEEPALIVE_SECONDS. */
const KEEPALIVE_S = Number(process.env.DEMO_KEEPALIVE_SECONDS) || 5;
const DEAD_WITHIN_MS = 120_000;

export async function showEidfPath(options: {
  work: string;
  env: NodeJS.ProcessEnv;
  cleanups: Array<() => Promise<unknown>>;
}): Promise<void> {
  const { work, cleanups } = options;
  const cli = (args: string[], env: NodeJS.ProcessEnv, more: Omit<Parameters<typeof show>[2], 'env'> = {}) =>
    show(HELPER_BIN, args, { env, display: `docker-credential-eidf ${args.join(' ')}`, ...more });

  heading(
    `The EIDF path: no device client, and Harbor keeps no refresh token (tokens live ${ACCESS_TOKEN_TTL_S} s here)`,
  );
  const sandbox = await startSandbox({
    cliOidc: false,
    harborRefreshToken: false,
    accessTokenTtl: ACCESS_TOKEN_TTL_S,
    onboarded: [],
  });
  cleanups.unshift(() => sandbox.stop());
  for (const [name, value] of Object.entries(sandbox.env)) note(`export ${name}=${value}`);
  note('no EIDF_OIDC_* variables: `login` is the CLI-secret login, as at EIDF today');
  note(
    `EIDF_STORE=file: the 0600 file store, as on a headless EIDF VM (no keychain there); EIDF_KEEPALIVE_SECONDS=${KEEPALIVE_S} (default 900) so the agent notices within seconds`,
  );
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    ...sandbox.env,
    EIDF_HOME: join(work, 'eidf-vm'),
    EIDF_STORE: 'file',
    EIDF_KEEPALIVE_SECONDS: String(KEEPALIVE_S),
    DOCKER_CONFIG: join(work, 'docker-vm'),
    REGISTRY_AUTH_FILE: join(work, 'containers-auth-vm.json'),
  };
  for (const name of ['EIDF_OIDC_ISSUER', 'EIDF_OIDC_CLIENT_ID']) delete env[name];
  cleanups.unshift(() =>
    show(HELPER_BIN, ['daemon', 'stop'], {
      env,
      quiet: true,
      display: 'docker-credential-eidf daemon stop   (cleaning up the EIDF path)',
    }),
  );
  const registry = sandbox.registryHost;
  const image = `docker://${registry}/demo/eidf:1`;
  await cli(['setup'], env);

  heading("Get the CLI secret from Harbor's web profile (a scripted browser logs in as alice)");
  const secret = await cliSecretFromProfile(sandbox.registryUrl, 'alice');
  note(`the profile's CLI secret (User Profile → CLI secret): ${secret.length} characters, not shown`);

  heading('login with the CLI secret: Harbor checks it before it is stored');
  note(
    'on a terminal, `docker-credential-eidf login` asks for the username and the secret; a script pipes the secret in:',
  );
  await cli(['login', '--username', 'alice', '--secret-stdin'], env, { input: `${secret}\n` });

  heading('Push and pull with skopeo through the helper; status shows the mode');
  await writeTinyOciImage(join(work, 'image-vm'), 'hello from an EIDF VM\n');
  await show('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(work, 'image-vm')}:latest`, image], {
    env,
    display: `skopeo copy oci:./image:latest ${image}`,
  });
  await show('skopeo', ['copy', '--quiet', '--src-tls-verify=false', image, `oci:${join(work, 'pulled-vm')}:latest`], {
    env,
    display: `skopeo copy ${image} oci:./pulled:latest`,
  });
  await cli(['status'], env);

  heading("Harbor's stored token expires (no refresh token): the agent finds the secret dead");
  note(
    `Harbor's stored token ends ${ACCESS_TOKEN_TTL_S - 10} s after the web login (at EIDF: some hours); waiting for the agent's check…`,
  );
  const waited = await waitUntilDead(env);
  note(`the agent found the secret dead after ${Math.round(waited / 1000)} s of waiting`);
  await cli(['status'], env, { expect: 4 });

  heading('get is refused; a web login brings the same secret back');
  note(
    'not on a terminal, `get` answers not-found with one hint line (on a terminal it offers the web login and waits):',
  );
  await cli(['get'], env, { input: registry, expect: 1 });
  await cli(['login', '--web', '--no-browser'], env, {
    whenOutput: {
      match: /Ctrl-C stops waiting/,
      then: async () => {
        await webLogin(sandbox.registryUrl, 'alice');
        note('(the scripted browser logged in to Harbor on the web as alice)');
      },
    },
  });
  const got = await cli(['get'], env, { input: registry, quiet: true });
  note(
    `get answers again, with ${JSON.parse(got.stdout).Secret === secret ? 'the same secret as before' : 'A DIFFERENT SECRET (unexpected)'} (not shown)`,
  );
  await show(
    'skopeo',
    ['copy', '--quiet', '--src-tls-verify=false', image, `oci:${join(work, 'pulled-again')}:latest`],
    { env, display: `skopeo copy ${image} oci:./pulled-again:latest` },
  );
  note('pulled again through the helper');
}

/** Harbor's web login as `user` (/c/oidc/login → the IdP's sign-in → back to Harbor), as a browser does it. */
async function webLogin(origin: string, user: string): Promise<HeadlessBrowser> {
  const browser = new HeadlessBrowser();
  await browser.walk(
    `${origin}/c/oidc/login`,
    { username: user, password: SANDBOX_PASSWORD },
    (page) => page.status === 200 && new URL(page.url).origin === origin && new URL(page.url).pathname === '/',
  );
  return browser;
}

/** What Harbor's profile page shows as the CLI secret: `oidc_user_meta.secret` of /api/v2.0/users/current. */
async function cliSecretFromProfile(origin: string, user: string): Promise<string> {
  note(`browser: ${origin}/c/oidc/login → the IdP's sign-in as ${user} / ${SANDBOX_PASSWORD} → back to Harbor`);
  const browser = await webLogin(origin, user);
  note('browser: GET /api/v2.0/users/current with the session cookie → oidc_user_meta.secret');
  const res = await browser.request('GET', `${origin}/api/v2.0/users/current`);
  const body = (await res.json()) as { oidc_user_meta?: { secret?: string } };
  const secret = body.oidc_user_meta?.secret;
  if (!res.ok || !secret) throw new Error(`Harbor's profile shows no CLI secret (HTTP ${res.status})`);
  return secret;
}

/**
 * Polls `status --json` (quietly, run in this process: a process a second would cost more CPU than
 * the rest of the demo) until the agent reports the secret needs a web login; the ms it took.
 */
async function waitUntilDead(env: NodeJS.ProcessEnv): Promise<number> {
  const start = Date.now();
  const deadline = start + DEAD_WITHIN_MS;
  while (Date.now() < deadline) {
    const { stdout } = await runInProcess(['status', '--json'], { env });
    if ((JSON.parse(stdout) as { registrySecret: { state: string } }).registrySecret.state === 'needs-web-login')
      return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`the agent did not find the secret dead within ${DEAD_WITHIN_MS / 1000} s`);
}
