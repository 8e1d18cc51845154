import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  assert.match(version.stdout, /^docker-credential-eidf 0\.1\.0 \(Node v[0-9.]+, linux\/\w+\)\n$/);
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

it('install.sh --systemd writes a user unit that runs the installed helper; --uninstall removes it', async () => {
  const config = join(home, 'xdg-config');
  // A systemctl that finds no user manager, as in a container, whatever this machine has.
  const fakeBin = join(home, 'fake-bin');
  mkdirSync(fakeBin, { recursive: true });
  writeFileSync(join(fakeBin, 'systemctl'), '#!/bin/sh\necho "Failed to connect to bus" >&2\nexit 1\n', {
    mode: 0o755,
  });
  const systemdEnv = { ...env, XDG_CONFIG_HOME: config, PATH: `${fakeBin}:${prefix}:${process.env.PATH}` };
  const install = await runProcess(join(REPO_ROOT, 'install.sh'), ['--prefix', prefix, '--no-setup', '--systemd'], {
    env: systemdEnv,
  });
  assert.equal(install.code, 0, install.stderr);
  const unit = join(config, 'systemd', 'user', 'docker-credential-eidf.service');
  const text = readFileSync(unit, 'utf8');
  assert.match(text, new RegExp(`^ExecStart=${join(prefix, 'docker-credential-eidf')} daemon run$`, 'm'));
  assert.match(text, /^WantedBy=default\.target$/m);
  // No systemd user manager runs here: the script says how to start it instead of failing.
  assert.match(install.stderr, /systemctl --user enable --now docker-credential-eidf\.service/);
  const uninstall = await runProcess(join(REPO_ROOT, 'install.sh'), ['--uninstall', '--prefix', prefix], {
    env: systemdEnv,
  });
  assert.equal(uninstall.code, 0, uninstall.stderr);
  assert.ok(!existsSync(unit));
});
