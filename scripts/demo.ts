/**
 * The demo (`scripts/demo.sh`): the helper end to end against a real local registry, with a
 * real keychain (gnome-keyring on a private D-Bus) and the real docker CLI and skopeo.
 * Everything runs in temporary folders and is stopped at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHtpasswdRegistry } from './local-registry.ts';
import { heading, note, show } from './demo-steps.ts';
import { writeTinyOciImage } from './sandbox/oci-image.ts';
import { startPrivateKeyring } from '../test/helpers/keyring.ts';
import { HELPER_BIN, REPO_ROOT } from '../test/helpers/cli.ts';

const PASSWORD = 'demo-password-1';
const work = mkdtempSync(join(tmpdir(), 'eidf-demo-'));
const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(work, { recursive: true, force: true })];

try {
  heading('Start a private keychain and a real registry (docker-registry, htpasswd auth)');
  const keyring = await startPrivateKeyring();
  cleanups.unshift(() => keyring.stop());
  const registry = await startHtpasswdRegistry('demo', PASSWORD);
  cleanups.unshift(() => registry.stop());
  note(`registry at ${registry.host}, gnome-keyring on a private D-Bus`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...keyring.env,
    PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`,
    EIDF_HOME: join(work, 'eidf'),
    EIDF_STORE: 'keychain',
    EIDF_REGISTRY: `http://${registry.host}`,
    EIDF_ALLOW_INSECURE_LOOPBACK: '1',
    DOCKER_CONFIG: join(work, 'docker'),
    REGISTRY_AUTH_FILE: join(work, 'containers-auth.json'),
  };
  cleanups.unshift(() => show(HELPER_BIN, ['daemon', 'stop'], { env, quiet: true, display: 'docker-credential-eidf daemon stop' }));

  heading('Wire the helper in: setup writes credHelpers, never a secret');
  await show(HELPER_BIN, ['setup'], { env, display: 'docker-credential-eidf setup' });
  note(`~/.docker/config.json: ${readFileSync(join(work, 'docker', 'config.json'), 'utf8').replace(/\s+/g, ' ')}`);

  heading('docker login stores the password in the keychain through the helper');
  await show('docker', ['login', '-u', 'demo', '--password-stdin', registry.host], { env, input: PASSWORD, display: `echo '…' | docker login -u demo --password-stdin ${registry.host}` });
  const config = readFileSync(join(work, 'docker', 'config.json'), 'utf8');
  note(`config.json now: ${config.replace(/\s+/g, ' ')}`);
  note(config.includes(PASSWORD) || /"auth"\s*:/.test(config) ? 'config.json HOLDS A SECRET (unexpected)' : 'config.json holds no password and no auth value');
  await show(HELPER_BIN, ['status'], { env, display: 'docker-credential-eidf status' });

  heading('Push with skopeo and read back with docker, both through the helper');
  await writeTinyOciImage(join(work, 'image'), 'hello from the demo\n');
  await show('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(work, 'image')}:latest`, `docker://${registry.host}/demo/hello:1`], {
    env,
    display: `skopeo copy oci:./image:latest docker://${registry.host}/demo/hello:1`,
  });
  await show('docker', ['manifest', 'inspect', '--insecure', `${registry.host}/demo/hello:1`], { env });

  heading('docker logout erases the secret from the keychain');
  await show('docker', ['logout', registry.host], { env });
  await show(HELPER_BIN, ['list'], { env, display: 'docker-credential-eidf list' });
  await show('docker', ['manifest', 'inspect', '--insecure', `${registry.host}/demo/hello:1`], { env, expect: 1, quiet: true });
  note('without credentials the registry refuses: the secret was only ever in the keychain');
  process.stdout.write('\ndemo finished\n');
} catch (err) {
  process.stdout.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
}
