/**
 * The demo (`scripts/demo.sh`): the whole EIDF flow on the built-in sandbox, a step at a time:
 * first the device login, then the EIDF path (CLI secret, dead after Harbor's token ends, revived
 * by a web login; scripts/demo-eidf.ts).
 * A local IdP, Harbor API and registry (scripts/sandbox), a real keychain (gnome-keyring on a
 * private D-Bus), the real docker CLI and skopeo. Everything runs in temporary folders and is
 * stopped at the end.
 *
 *   scripts/demo.sh             the device login is approved automatically as alice
 *   scripts/demo.sh --browser   approve it yourself (alice / eidf-sandbox) in a browser
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { showEidfPath } from './demo-eidf.ts';
import { heading, note, show } from './demo-steps.ts';
import { writeTinyOciImage } from './sandbox/oci-image.ts';
import { startSandbox } from './sandbox/sandbox.ts';
import { startPrivateKeyring } from '../test/helpers/keyring.ts';
import { HELPER_BIN, REPO_ROOT } from '../test/helpers/cli.ts';

const inBrowser = process.argv.includes('--browser');
const work = mkdtempSync(join(tmpdir(), 'eidf-demo-'));
const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(work, { recursive: true, force: true })];
const cli = (args: string[], env: NodeJS.ProcessEnv, options: { expect?: number; input?: string } = {}) =>
  show(HELPER_BIN, args, { env, display: `docker-credential-eidf ${args.join(' ')}`, ...options });

try {
  heading('Start the sandbox: an OIDC provider, a Harbor 2.11 API and a real registry, on 127.0.0.1');
  // The device login's poll interval; the demo's test asks for less through DEMO_DEVICE_POLL_SECONDS.
  const devicePollInterval = Number(process.env.DEMO_DEVICE_POLL_SECONDS) || 1;
  const sandbox = await startSandbox({ devicePollInterval, ...(inBrowser ? {} : { autoApprove: 'alice' }) });
  cleanups.unshift(() => sandbox.stop());
  const keyring = await startPrivateKeyring();
  cleanups.unshift(() => keyring.stop());
  for (const [name, value] of Object.entries(sandbox.env)) note(`export ${name}=${value}`);
  note('users alice (admin of project "demo"), bob, carol; password eidf-sandbox; secrets go to gnome-keyring');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...keyring.env,
    ...sandbox.env,
    PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
    EIDF_HOME: join(work, 'eidf'),
    EIDF_STORE: 'keychain',
    DOCKER_CONFIG: join(work, 'docker'),
    REGISTRY_AUTH_FILE: join(work, 'containers-auth.json'),
  };
  delete env.NODE_EXTRA_CA_CERTS;
  cleanups.unshift(() =>
    show(HELPER_BIN, ['daemon', 'stop'], {
      env,
      quiet: true,
      display: 'docker-credential-eidf daemon stop   (cleaning up)',
    }),
  );
  const registry = sandbox.registryHost;

  heading('setup: point docker, podman and skopeo at the helper (credHelpers, never a secret)');
  await cli(['setup'], env);
  note(`config.json: ${readFileSync(join(work, 'docker', 'config.json'), 'utf8').replace(/\s+/g, ' ')}`);

  heading(
    `login: one device login${inBrowser ? ' (open the URL, log in as alice / eidf-sandbox)' : ', approved as alice by the sandbox'}`,
  );
  await cli(['login', '--no-browser'], env);

  heading('Push and pull with skopeo, read with the docker CLI: all through the helper');
  await writeTinyOciImage(join(work, 'image'), 'hello from EIDF\n');
  await show(
    'skopeo',
    [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${join(work, 'image')}:latest`,
      `docker://${registry}/demo/hello:1`,
    ],
    {
      env,
      display: `skopeo copy oci:./image:latest docker://${registry}/demo/hello:1`,
    },
  );
  await show(
    'skopeo',
    [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${registry}/demo/hello:1`,
      `oci:${join(work, 'pulled')}:latest`,
    ],
    {
      env,
      display: `skopeo copy docker://${registry}/demo/hello:1 oci:./pulled:latest`,
    },
  );
  const manifest = await show('docker', ['manifest', 'inspect', '--insecure', `${registry}/demo/hello:1`], {
    env,
    quiet: true,
  });
  note(
    `docker manifest inspect: ${JSON.parse(manifest.stdout).mediaType}, ${JSON.parse(manifest.stdout).layers.length} layer`,
  );

  heading('No secret in any config file');
  const secret = sandbox.cliSecretOf('alice') ?? '';
  for (const file of [join(work, 'docker', 'config.json'), join(work, 'containers-auth.json')]) {
    const text = readFileSync(file, 'utf8');
    note(
      `${file.slice(work.length + 1)}: ${text.includes(secret) || /"auth"\s*:\s*"[^"]/.test(text) ? 'HOLDS A SECRET (unexpected)' : 'credHelpers only, no secret'}`,
    );
  }
  note("the CLI secret lives only in the agent's memory; the keychain holds the OIDC refresh token");

  heading('status: who is logged in, and how the registry secret is kept alive');
  await cli(['status'], env);

  heading('logout: the IdP revokes the session; the registry refuses from now on');
  await cli(['logout'], env);
  await show('skopeo', ['inspect', '--tls-verify=false', `docker://${registry}/demo/hello:1`], {
    env,
    expect: 1,
    quiet: true,
    display: `skopeo inspect docker://${registry}/demo/hello:1`,
  });
  note('refused, as expected: no credentials after logout');

  const { NODE_EXTRA_CA_CERTS: _, ...shellEnv } = process.env;
  await showEidfPath({ work, cleanups, env: { ...shellEnv, PATH: env.PATH } });
} catch (err) {
  process.stdout.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  if (process.exitCode !== 1) process.stdout.write('\ndemo finished: everything it started is stopped\n');
}
