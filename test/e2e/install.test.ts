import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { REPO_ROOT, runProcess } from '../helpers/cli.ts';

const home = mkdtempSync(join(tmpdir(), 'eidf-install-'));
const prefix = join(home, 'bin');
const env = {
  PATH: `${prefix}:${process.env.PATH}`,
  HOME: home,
  EIDF_HOME: join(home, 'eidf'),
  EIDF_STORE: 'memory',
  EIDF_REGISTRY: 'registry.example',
  DOCKER_CONFIG: join(home, 'docker'),
  XDG_RUNTIME_DIR: join(home, 'run'),
};
after(() => rmSync(home, { recursive: true, force: true }));

it('install.sh links the helper onto PATH and wires credHelpers; --uninstall undoes both', async () => {
  const install = await runProcess(join(REPO_ROOT, 'install.sh'), ['--prefix', prefix], { env });
  assert.equal(install.code, 0, install.stderr);
  assert.ok(lstatSync(join(prefix, 'docker-credential-eidf')).isSymbolicLink());
  // Through the link, as docker would run it (found on PATH).
  const version = await runProcess('docker-credential-eidf', ['version'], { env });
  assert.equal(version.stdout, 'docker-credential-eidf (docker-credential-eidf) 0.1.0\n');
  const get = await runProcess('docker-credential-eidf', ['get'], { env, input: 'registry.example' });
  assert.equal(get.stdout, 'credentials not found in native keychain\n');
  const config = JSON.parse(readFileSync(join(home, 'docker', 'config.json'), 'utf8'));
  assert.deepEqual(config.credHelpers, { 'registry.example': 'eidf' });

  const uninstall = await runProcess(join(REPO_ROOT, 'install.sh'), ['--uninstall', '--prefix', prefix], { env });
  assert.equal(uninstall.code, 0, uninstall.stderr);
  assert.ok(!existsSync(join(prefix, 'docker-credential-eidf')));
  assert.equal(JSON.parse(readFileSync(join(home, 'docker', 'config.json'), 'utf8')).credHelpers, undefined);
});

it('install.sh refuses an unknown option with one line and exit 2', async () => {
  const result = await runProcess(join(REPO_ROOT, 'install.sh'), ['--bogus'], { env });
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'install.sh: unknown option --bogus (see --help)\n');
});
