import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolvePaths } from '../../src/config.ts';
import {
  checkAgentSocket,
  checkPrivateDir,
  ensurePrivateDir,
  GROUP_OTHER_ANY,
} from '../../src/platform/private-path.ts';
import { eidfError } from '../helpers/errors.ts';
import { REPO_ROOT } from '../helpers/cli.ts';

// Ownership by another user is covered with real users in test/e2e/shared-host.test.ts; here: the
// shapes one user can make (symlink, file, modes, umask, sticky parent).
const uid = process.getuid!();
const root = mkdtempSync(join(tmpdir(), 'eidf-pp-'));
after(() => rmSync(root, { recursive: true, force: true }));
const rule = { uid, forbidden: GROUP_OTHER_ANY };

describe('checkPrivateDir / ensurePrivateDir', () => {
  it('creates a missing folder 0700 even under a umask that would leave it 000', () => {
    const dir = join(root, 'made', 'run');
    const old = process.umask(0o777);
    try {
      ensurePrivateDir(dir, rule);
    } finally {
      process.umask(old);
    }
    assert.equal(lstatSync(dir).mode & 0o777, 0o700);
    assert.equal(checkPrivateDir(dir, rule), true);
  });

  it('is false for a missing folder, without creating it', () => {
    assert.equal(checkPrivateDir(join(root, 'absent'), rule), false);
    assert.throws(() => lstatSync(join(root, 'absent')));
  });

  it('refuses a symlink to a good folder, naming it and its owner', () => {
    mkdirSync(join(root, 'real'), { mode: 0o700 });
    symlinkSync(join(root, 'real'), join(root, 'link'));
    assert.throws(
      () => ensurePrivateDir(join(root, 'link'), rule),
      eidfError(
        'AGENT_UNSAFE',
        new RegExp(`^refusing to use ${root}/link: it is a symlink owned by uid ${uid}\\b.*; remove it`),
      ),
    );
  });

  it('refuses a file, and a folder open to group or others without repairing it', () => {
    writeFileSync(join(root, 'file'), '');
    assert.throws(() => ensurePrivateDir(join(root, 'file'), rule), eidfError('AGENT_UNSAFE', /it is not a directory/));
    mkdirSync(join(root, 'open'));
    chmodSync(join(root, 'open'), 0o750);
    assert.throws(
      () => ensurePrivateDir(join(root, 'open'), rule),
      eidfError('AGENT_UNSAFE', /open to group or others \(mode 0750\); remove it \(rm -r /),
    );
    assert.equal(lstatSync(join(root, 'open')).mode & 0o777, 0o750, 'not chmodded behind the user');
    // Group-readable is fine where only writes are forbidden (the default rule); group-writable is not,
    // and the user is told the chmod to run rather than to remove their folder.
    assert.equal(checkPrivateDir(join(root, 'open'), { uid }), true);
    chmodSync(join(root, 'open'), 0o770);
    chownSync(join(root, 'open'), uid, 4321); // a group that is not the user's alone
    assert.throws(
      () => checkPrivateDir(join(root, 'open'), { uid }),
      eidfError('AGENT_UNSAFE', new RegExp(`open to group or others \\(mode 0770\\); run: chmod go-w ${root}/open$`)),
    );
  });

  it('refuses a folder whose parent others can write without the sticky bit', () => {
    const parent = join(root, 'shared');
    mkdirSync(join(parent, 'mine'), { recursive: true, mode: 0o700 });
    chmodSync(parent, 0o777);
    assert.throws(
      () => checkPrivateDir(join(parent, 'mine'), rule),
      eidfError('AGENT_UNSAFE', /its folder .*\/shared lets others replace it \(mode 0777 without the sticky bit\)/),
    );
    chmodSync(parent, 0o1777);
    assert.equal(checkPrivateDir(join(parent, 'mine'), rule), true);
  });
});

describe('checkAgentSocket', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('false with no folder or no socket; true for our socket in our 0700 folder', async () => {
    const dir = join(root, 'agent');
    assert.equal(checkAgentSocket(join(dir, 'agent.sock'), uid), false);
    ensurePrivateDir(dir, rule);
    assert.equal(checkAgentSocket(join(dir, 'agent.sock'), uid), false);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(join(dir, 'agent.sock'), r));
    assert.equal(checkAgentSocket(join(dir, 'agent.sock'), uid), true);
  });

  it('refuses a regular file where the socket should be, and a folder with any group/other bit', () => {
    const dir = join(root, 'agent2');
    ensurePrivateDir(dir, rule);
    writeFileSync(join(dir, 'agent.sock'), '');
    assert.throws(
      () => checkAgentSocket(join(dir, 'agent.sock'), uid),
      eidfError('AGENT_UNSAFE', /agent\.sock: it is not a socket/),
    );
    chmodSync(dir, 0o740);
    assert.throws(
      () => checkAgentSocket(join(dir, 'agent.sock'), uid),
      eidfError('AGENT_UNSAFE', /agent2: it is open to group or others \(mode 0740\).*set XDG_RUNTIME_DIR/),
    );
  });
});

describe('resolvePaths without HOME', () => {
  it('takes the home folder from the password database', () => {
    const paths = resolvePaths({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, () => '/home/pw');
    assert.equal(paths.configFile, '/home/pw/.config/docker-credential-eidf/config.json');
    assert.equal(paths.logFile, '/home/pw/.local/state/docker-credential-eidf/agent.log');
    assert.equal(paths.fileStore, '/home/pw/.local/share/docker-credential-eidf/secrets.json');
    assert.equal(
      resolvePaths({ HOME: '' }, 1000, () => '/home/pw').configFile,
      '/home/pw/.config/docker-credential-eidf/config.json',
    );
  });

  it('refuses in one line when there is none, rather than using /tmp', () => {
    assert.throws(
      () => resolvePaths({}, 1000, () => undefined),
      eidfError(
        'CONFIG_INVALID',
        /^invalid configuration: HOME is not set and the password database gives no existing home folder for uid 1000; set HOME or EIDF_HOME$/,
      ),
    );
  });

  it('needs no home when every XDG folder is given, nor with EIDF_HOME', () => {
    const none = () => assert.fail('the password database was asked');
    const env = { XDG_CONFIG_HOME: '/c', XDG_DATA_HOME: '/d', XDG_STATE_HOME: '/s' };
    assert.equal(resolvePaths(env, 1000, none).configFile, '/c/docker-credential-eidf/config.json');
    assert.equal(resolvePaths({ EIDF_HOME: '/e' }, 1000, none).logFile, '/e/agent.log');
  });
});

describe('compile cache (dist/compile-cache.cjs, preloaded by the launcher)', () => {
  const cacheIn = (home: string, umask = '022') =>
    execFileSync(
      'sh',
      [
        '-c',
        `umask ${umask}; exec "$0" --require "$1" -p process.env.NODE_COMPILE_CACHE`,
        process.execPath,
        join(REPO_ROOT, 'dist/compile-cache.cjs'),
      ],
      {
        env: { PATH: process.env.PATH, HOME: home },
        encoding: 'utf8',
      },
    ).trim();

  it('uses $HOME/.cache/docker-credential-eidf/compile-cache, made 0700 under any umask', () => {
    const home = join(root, 'cc-home');
    mkdirSync(home, { mode: 0o700 });
    assert.equal(cacheIn(home, '000'), `${home}/.cache/docker-credential-eidf/compile-cache`);
    for (const dir of ['.cache/docker-credential-eidf', '.cache/docker-credential-eidf/compile-cache']) {
      assert.equal(lstatSync(join(home, dir)).mode & 0o777, 0o700, dir);
    }
  });

  it(
    "is off when the cache folder is someone else's or open to others",
    { skip: uid !== 0 && 'chown needs root' },
    () => {
      const home = join(root, 'cc-theirs');
      mkdirSync(join(home, '.cache'), { recursive: true, mode: 0o700 });
      chmodSync(join(home, '.cache'), 0o777);
      chownSync(join(home, '.cache'), 4321, 4321);
      assert.equal(cacheIn(home), 'undefined');
      assert.equal(existsSync(join(home, '.cache/docker-credential-eidf')), false, 'nothing made in their folder');
      const open = join(root, 'cc-open');
      mkdirSync(join(open, '.cache/docker-credential-eidf'), { recursive: true, mode: 0o700 });
      chmodSync(join(open, '.cache/docker-credential-eidf'), 0o775);
      assert.equal(cacheIn(open), 'undefined');
    },
  );
});
