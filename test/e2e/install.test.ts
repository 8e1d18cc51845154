import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, it } from 'node:test';
import { AGENT_MALLOC_ENV, AGENT_V8_FLAGS } from '../../src/platform/runtime.ts';
import { REPO_ROOT, runProcess } from '../helpers/cli.ts';
import { currentSea } from '../helpers/sea.ts';
import { tree } from '../helpers/setup-rig.ts';

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

it('install.sh --script links the bundled helper onto PATH and wires credHelpers; --uninstall undoes both', async () => {
  const install = await runProcess(join(REPO_ROOT, 'install.sh'), ['--script', '--prefix', prefix], { env });
  assert.equal(install.code, 0, install.stderr);
  assert.ok(lstatSync(join(prefix, 'docker-credential-eidf')).isSymbolicLink());
  const script = join(REPO_ROOT, 'dist', 'docker-credential-eidf.cjs');
  assert.equal(readlinkSync(join(prefix, 'docker-credential-eidf')), script);
  // Run by the pinned Node itself, no shell in between.
  assert.equal(
    readFileSync(script, 'utf8').split('\n')[0],
    `#!${join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node')}`,
  );
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
  // setup created config.json, which holds nothing else now: it is gone.
  assert.ok(!existsSync(join(home, 'docker', 'config.json')));
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
  const install = await runProcess(
    join(REPO_ROOT, 'install.sh'),
    ['--script', '--prefix', prefix, '--no-setup', '--systemd'],
    {
      env: systemdEnv,
    },
  );
  assert.equal(install.code, 0, install.stderr);
  const unit = join(config, 'systemd', 'user', 'docker-credential-eidf.service');
  const text = readFileSync(unit, 'utf8');
  assert.match(text, new RegExp(`^ExecStart=${join(prefix, 'docker-credential-eidf')} daemon run$`, 'm'));
  assert.match(text, /^WantedBy=default\.target$/m);
  // The service's agent gets the malloc settings of the agents the helper starts.
  for (const [name, value] of Object.entries(AGENT_MALLOC_ENV))
    assert.match(text, new RegExp(`^Environment=${name}=${value}$`, 'm'));
  // No systemd user manager runs here: the script says how to start it instead of failing.
  assert.match(install.stderr, /systemctl --user enable --now docker-credential-eidf\.service/);
  const uninstall = await runProcess(join(REPO_ROOT, 'install.sh'), ['--uninstall', '--prefix', prefix], {
    env: systemdEnv,
  });
  assert.equal(uninstall.code, 0, uninstall.stderr);
  assert.ok(!existsSync(unit));
  // systemctl's own complaints are not passed on: one line per thing removed.
  assert.doesNotMatch(uninstall.stderr, /Failed to connect/);
  assert.match(uninstall.stderr, new RegExp(`^removed the systemd user service \\(${unit}\\)$`, 'm'));
});

it('--uninstall keeps a ~/.local/bin that was there before install, even when it is left empty', async () => {
  const user = mkdtempSync(join(tmpdir(), 'eidf-home-'));
  try {
    // A login shell's ~/.profile puts ~/.local/bin on PATH only when it exists: removing it breaks the next install.
    mkdirSync(join(user, '.local', 'bin'), { recursive: true });
    const userEnv = { PATH: process.env.PATH, HOME: user, EIDF_REGISTRY: 'registry.example', EIDF_STORE: 'memory' };
    const install = await runProcess(join(REPO_ROOT, 'install.sh'), ['--script', '--no-setup'], { env: userEnv });
    assert.equal(install.code, 0, install.stderr);
    assert.ok(lstatSync(join(user, '.local', 'bin', 'docker-credential-eidf')).isSymbolicLink());
    const uninstall = await runProcess(join(REPO_ROOT, 'install.sh'), ['--uninstall', '--purge'], { env: userEnv });
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.ok(!existsSync(join(user, '.local', 'bin', 'docker-credential-eidf')));
    assert.ok(lstatSync(join(user, '.local', 'bin')).isDirectory(), 'the folder that was there stays');
  } finally {
    rmSync(user, { recursive: true, force: true });
  }
});

it('install.sh && install.sh --uninstall --purge leaves HOME byte for byte as it was', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'eidf-home-'));
  const runtime = mkdtempSync(join(tmpdir(), 'eidf-run-'));
  try {
    writeFileSync(join(fresh, '.profile'), 'export EDITOR=vi\n', { mode: 0o644 });
    mkdirSync(join(fresh, '.config', 'other'), { recursive: true });
    writeFileSync(join(fresh, '.config', 'other', 'settings'), 'x');
    // As a login shell has it: no EIDF_HOME, no DOCKER_CONFIG, the XDG defaults under HOME, the runtime folder outside.
    const userEnv = {
      PATH: `${join(fresh, '.local', 'bin')}:${process.env.PATH}`,
      HOME: fresh,
      XDG_RUNTIME_DIR: runtime,
      EIDF_REGISTRY: 'registry.example',
      EIDF_STORE: 'file',
    };
    const before = await tree(fresh);
    // install.sh copies dist/sea, building it when stale: built here instead, under the lock the
    // single-executable test shares, so that two test files never build it at once.
    await currentSea();
    const install = await runProcess(join(REPO_ROOT, 'install.sh'), [], { env: userEnv });
    assert.equal(install.code, 0, install.stderr);
    // Used: a credential in the file store (credsStore-style, another registry), the agent log, the compile cache.
    const store = await runProcess('docker-credential-eidf', ['store'], {
      env: userEnv,
      input: JSON.stringify({ ServerURL: 'other.example', Username: 'u', Secret: 's3cret' }),
    });
    assert.equal(store.code, 0, store.stdout);
    const setup = await runProcess('docker-credential-eidf', ['setup', '--creds-store'], { env: userEnv });
    assert.equal(setup.code, 0, setup.stderr);
    assert.notDeepEqual(await tree(fresh), before);

    // The installed shape decides whether a compile cache is made (the script: yes; the executable: its own code cache).
    const compileCache = existsSync(join(fresh, '.cache', 'docker-credential-eidf'));
    const uninstall = await runProcess(join(REPO_ROOT, 'install.sh'), ['--uninstall', '--purge'], { env: userEnv });
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.deepEqual(await tree(fresh), before);
    assert.doesNotMatch(uninstall.stderr, /note: /);
    for (const line of [
      `${join(fresh, '.docker', 'config.json')}: deleted (setup had created it and it held nothing else)`,
      // Through logout --forget-all: the same for a keychain, which no folder removal would empty.
      'removed 1 other secret from the store (credentials docker stored for other registries, robot secrets)',
      `removed the helper (${join(fresh, '.local', 'bin', 'docker-credential-eidf')})`,
      ...(compileCache ? [`removed the compile cache (${join(fresh, '.cache', 'docker-credential-eidf')})`] : []),
      `removed the file store (${join(fresh, '.local', 'share', 'docker-credential-eidf')})`,
      `removed the agent log (${join(fresh, '.local', 'state', 'docker-credential-eidf')})`,
      `removed the config (${join(fresh, '.config', 'docker-credential-eidf')})`,
    ])
      assert.ok(uninstall.stderr.split('\n').includes(line), `${line}\nnot in:\n${uninstall.stderr}`);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  }
});

it(
  'the installed script runs `get` as one process that loads only the protocol path',
  { skip: spawnSync('strace', ['-V']).status !== 0 && 'strace is not installed' },
  () => {
    const trace = join(home, 'get.strace');
    const script = join(REPO_ROOT, 'dist', 'docker-credential-eidf.cjs');
    // An agent already runs, as it does for docker's `get`s (else `get` starts one, from the whole CLI).
    assert.equal(spawnSync(script, ['daemon', 'start'], { env }).status, 0);
    after(() => spawnSync(script, ['daemon', 'stop'], { env }));
    const run = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve,openat', '-o', trace, script, 'get'], {
      env,
      input: 'registry.example',
      encoding: 'utf8',
    });
    assert.equal(run.stdout, 'credentials not found in native keychain\n', run.stderr);
    const lines = readFileSync(trace, 'utf8').split('\n');
    // One program started (the script itself: the kernel hands it to the Node of its #! line); no sh.
    const execs = lines.filter((line) => /execve\(/.test(line) && !/ENOENT/.test(line));
    assert.equal(execs.length, 1, execs.join('\n'));
    // The whole CLI (dist/cli.cjs) and the sources stay unread.
    const opened = lines.filter((line) => /openat\(.*"[^"]*(cli\.cjs|\/src\/)/.test(line));
    assert.deepEqual(opened, []);
    // The agent it started runs the same script with the memory-saving flags and malloc settings.
    const status = spawnSync(script, ['status', '--json'], { env, encoding: 'utf8' });
    const pid = (JSON.parse(status.stdout) as { agent: { pid: number } }).agent.pid;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.deepEqual(argv.slice(1), [
      '--disable-warning=ExperimentalWarning',
      ...AGENT_V8_FLAGS,
      realpathSync(script),
      'daemon',
      'run',
    ]);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const [name, value] of Object.entries(AGENT_MALLOC_ENV)) assert.ok(environ.includes(`${name}=${value}`), name);
  },
);
