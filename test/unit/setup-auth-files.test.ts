import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backupFileFor, locateAuthFiles, setupStateFile } from '../../src/setup/auth-files.ts';
import { resolvePaths } from '../../src/config.ts';

const cases: Array<{
  name: string;
  env: Record<string, string>;
  cwd?: string;
  docker: string;
  containers: string | null;
  sources: [string, string];
}> = [
  {
    name: 'defaults: HOME and XDG_RUNTIME_DIR',
    env: { HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' },
    docker: '/home/u/.docker/config.json',
    containers: '/run/user/1000/containers/auth.json',
    sources: ['HOME', 'XDG_RUNTIME_DIR'],
  },
  {
    name: 'DOCKER_CONFIG and REGISTRY_AUTH_FILE win',
    env: {
      HOME: '/home/u',
      XDG_RUNTIME_DIR: '/run/user/1000',
      DOCKER_CONFIG: '/etc/dc/',
      REGISTRY_AUTH_FILE: '/srv/auth.json',
    },
    docker: '/etc/dc/config.json',
    containers: '/srv/auth.json',
    sources: ['DOCKER_CONFIG', 'REGISTRY_AUTH_FILE'],
  },
  {
    name: 'empty settings count as unset (as in Docker)',
    env: { HOME: '/home/u', DOCKER_CONFIG: '', REGISTRY_AUTH_FILE: '', XDG_RUNTIME_DIR: '/run/user/7' },
    docker: '/home/u/.docker/config.json',
    containers: '/run/user/7/containers/auth.json',
    sources: ['HOME', 'XDG_RUNTIME_DIR'],
  },
  {
    name: 'no XDG_RUNTIME_DIR: the containers file is skipped',
    env: { HOME: '/home/u' },
    docker: '/home/u/.docker/config.json',
    containers: null,
    sources: ['HOME', 'neither REGISTRY_AUTH_FILE nor XDG_RUNTIME_DIR is set'],
  },
  {
    name: 'relative settings resolve against cwd',
    env: { HOME: '/home/u', DOCKER_CONFIG: 'dc', REGISTRY_AUTH_FILE: '../a.json' },
    cwd: '/srv/project',
    docker: '/srv/project/dc/config.json',
    containers: '/srv/a.json',
    sources: ['DOCKER_CONFIG', 'REGISTRY_AUTH_FILE'],
  },
];

for (const c of cases) {
  test(`locateAuthFiles: ${c.name}`, () => {
    const [docker, containers] = locateAuthFiles(c.env, c.cwd);
    assert.deepEqual(docker, { kind: 'docker', path: c.docker, source: c.sources[0] });
    assert.deepEqual(containers, { kind: 'containers', path: c.containers, source: c.sources[1] });
  });
}

test('locateAuthFiles refuses a relative setting without cwd, and no HOME nor DOCKER_CONFIG', () => {
  assert.throws(() => locateAuthFiles({ DOCKER_CONFIG: 'dc' }), {
    code: 'CONFIG_INVALID',
    message: 'DOCKER_CONFIG must be an absolute path',
  });
  assert.throws(() => locateAuthFiles({}), { code: 'CONFIG_INVALID', message: /set DOCKER_CONFIG or HOME/ });
});

test('the state file sits next to the config file; the backup next to the named file', () => {
  assert.equal(setupStateFile(resolvePaths({ EIDF_HOME: '/x/eidf' }, 1000)), '/x/eidf/setup-state.json');
  assert.equal(
    setupStateFile(resolvePaths({ HOME: '/home/u' }, 1000)),
    '/home/u/.config/docker-credential-eidf/setup-state.json',
  );
  assert.equal(backupFileFor('/home/u/.docker/config.json'), '/home/u/.docker/config.json.eidf-backup');
});
