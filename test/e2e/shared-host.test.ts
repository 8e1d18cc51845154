import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runProcess, type CliResult } from '../helpers/cli.ts';

/**
 * A shared Linux host, attacked as a local user would: two real Unix users (useradd), the victim
 * running the real helper through runuser with no XDG_RUNTIME_DIR (cron, su, CI), the attacker's
 * fake agent a real socket at the victim's /tmp fallback path. Needs root; users are `eidfa-*`.
 */
const VICTIM = 'eidfa-victim';
const ATTACKER = 'eidfa-attacker';
const NOHOME = 'eidfa-nohome';
const NOHOME_DIR = '/nonexistent/eidfa-nohome';
const SECRET = 'victim-secret-4e1f';
const AGENT_HINT = 'or set XDG_RUNTIME_DIR (or EIDF_HOME) to a private folder of yours';

const asRoot = process.getuid?.() === 0;
const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const quiet = (cmd: string, args: string[]) => {
  try {
    sh(cmd, args);
  } catch {
    // cleanup: absent is fine
  }
};

let root = REPO_ROOT; // the checkout the users run (a world-readable copy when REPO_ROOT is not)
let copied: string | undefined;
let work: string; // scripts and folders for the test, 0755
const ids: Record<string, { uid: number; gid: number }> = {};
const runtimeDir = () => `/tmp/docker-credential-eidf-${ids[VICTIM].uid}`;

function removeUser(name: string): void {
  // Only processes this test started run as these users: end them by id, then remove the user.
  if (!ids[name]) {
    try {
      ids[name] = { uid: Number(sh('id', ['-u', name])), gid: Number(sh('id', ['-g', name])) }; // left by an earlier run
    } catch {
      return; // no such user
    }
  }
  for (const pid of pidsOf(name)) quiet('kill', ['-KILL', String(pid)]);
  quiet('userdel', ['-r', name]);
}

/** Processes running as `name` (from /proc: no procps needed). */
function pidsOf(name: string): number[] {
  const uid = ids[name]?.uid;
  if (uid === undefined) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1] === String(uid);
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
}

function cleanTmp(): void {
  for (const user of [VICTIM, ATTACKER, NOHOME]) {
    const id = ids[user];
    if (id) rmSync(`/tmp/docker-credential-eidf-${id.uid}`, { recursive: true, force: true });
  }
}

/** The checkout as the victim sees it: usable in place when every folder on the way is traversable. */
function prepareCheckout(): void {
  const needed = [
    'bin/docker-credential-eidf',
    'dist/docker-credential-eidf.cjs',
    'dist/cli.cjs',
    'dist/compile-cache.cjs',
    'src/cli/main.ts',
    'node_modules/node/bin/node',
    'node_modules/express/package.json',
  ];
  const readable = needed.every((p) => {
    try {
      sh('runuser', ['-u', VICTIM, '--', 'test', '-r', join(REPO_ROOT, p)]);
      return true;
    } catch {
      return false;
    }
  });
  if (readable) return;
  // CI may clone into a folder only root can enter: run a copy instead (node_modules hard-linked when it can be).
  copied = mkdtempSync('/tmp/eidfa-checkout-');
  chmodSync(copied, 0o755);
  for (const entry of ['bin', 'src', 'dist', 'package.json']) sh('cp', ['-a', join(REPO_ROOT, entry), copied]);
  const modules = realpathSync(join(REPO_ROOT, 'node_modules'));
  try {
    sh('cp', ['-al', modules, join(copied, 'node_modules')]);
  } catch {
    sh('cp', ['-a', modules, join(copied, 'node_modules')]);
  }
  root = copied;
}

/** Runs the helper as `user` through runuser, with exactly `env` (no XDG_RUNTIME_DIR unless given). */
function runAs(user: string, args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  const pairs = Object.entries({ PATH: '/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
  return runProcess(
    'runuser',
    ['-u', user, '--', 'env', '-i', ...pairs, join(root, 'bin/docker-credential-eidf'), ...args],
    { env: { PATH: process.env.PATH }, input },
  );
}

const victimEnv = () => ({
  HOME: `/home/${VICTIM}`,
  EIDF_STORE: 'memory',
  EIDF_OIDC_ISSUER: 'https://idp.invalid',
  EIDF_OIDC_CLIENT_ID: 'cli',
});

/** The attacker's fake agent: a real listening socket, open to all, that logs every connection and byte. */
interface FakeAgent {
  child: ChildProcessWithoutNullStreams;
  stop(): Promise<{ connections: number; bytes: number; received: string[] }>;
}

const FAKE_AGENT = `
const net = require('node:net');
const fs = require('node:fs');
let connections = 0, bytes = 0;
const received = [];
const answer = '{"Username":"attacker","Secret":"planted"}';
const server = net.createServer((c) => {
  connections++;
  c.on('data', (d) => {
    bytes += d.length;
    received.push(d.toString('utf8'));
    c.end('HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: ' + answer.length + '\\r\\n\\r\\n' + answer);
  });
  c.on('error', () => {});
});
server.listen(process.argv[2], () => {
  fs.chmodSync(process.argv[2], 0o777);
  process.stdout.write('ready\\n');
});
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ connections, bytes, received }) + '\\n');
  process.exit(0);
});
`;

async function startFakeAgent(socketPath: string): Promise<FakeAgent> {
  const { uid, gid } = ids[ATTACKER];
  // setpriv execs node directly, so the child's pid is the fake agent's.
  const child = spawn(
    'setpriv',
    [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--init-groups',
      '--',
      join(root, 'node_modules/node/bin/node'),
      join(work, 'fake-agent.cjs'),
      socketPath,
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fake agent did not start: ${err}`)), 20_000);
    child.stdout.on('data', () => {
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`fake agent exited: ${err}`)));
  });
  return {
    child,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.split('\n').filter(Boolean).at(-1)!) as {
        connections: number;
        bytes: number;
        received: string[];
      };
    },
  };
}

/** Runs `cmd` as the attacker (the folder and socket they plant are theirs). */
const asAttacker = (cmd: string, args: string[]) => sh('runuser', ['-u', ATTACKER, '--', cmd, ...args]);
const asVictim = (cmd: string, args: string[]) => sh('runuser', ['-u', VICTIM, '--', cmd, ...args]);

describe(
  'shared host: another user at the /tmp fallback path',
  { skip: asRoot ? false : 'needs root (useradd, runuser)' },
  () => {
    before(() => {
      for (const user of [VICTIM, ATTACKER, NOHOME]) removeUser(user);
      sh('useradd', ['--create-home', '--shell', '/bin/sh', VICTIM]);
      sh('useradd', ['--create-home', '--shell', '/bin/sh', ATTACKER]);
      sh('useradd', ['--no-create-home', '--home-dir', NOHOME_DIR, '--shell', '/bin/sh', NOHOME]);
      for (const user of [VICTIM, ATTACKER, NOHOME])
        ids[user] = { uid: Number(sh('id', ['-u', user])), gid: Number(sh('id', ['-g', user])) };
      cleanTmp();
      prepareCheckout();
      work = mkdtempSync('/tmp/eidfa-work-');
      chmodSync(work, 0o755);
      writeFileSync(join(work, 'fake-agent.cjs'), FAKE_AGENT, { mode: 0o644 });
    });

    after(() => {
      cleanTmp();
      for (const user of [VICTIM, ATTACKER, NOHOME]) removeUser(user);
      if (work) rmSync(work, { recursive: true, force: true });
      if (copied) rmSync(copied, { recursive: true, force: true });
    });

    /** What each kind of client says and does with the planted folder/socket in place. */
    async function assertRefused(problemPath: string, problem: string, action: string): Promise<void> {
      const line = `refusing to use ${problemPath}: ${problem}; ${action}, ${AGENT_HINT}`;
      const env = victimEnv();
      const get = await runAs(VICTIM, ['get'], env, 'registry.eidf.ac.uk\n');
      assert.deepEqual(get, { code: 1, stdout: `${line}\n`, stderr: '' }, 'get: its one protocol line');
      const store = await runAs(
        VICTIM,
        ['store'],
        env,
        JSON.stringify({ ServerURL: 'registry.eidf.ac.uk', Username: 'victim', Secret: SECRET }),
      );
      assert.deepEqual(store, { code: 1, stdout: `${line}\n`, stderr: '' }, 'store: its one protocol line');
      for (const args of [['login', '--no-browser'], ['status'], ['daemon', 'start']]) {
        const result = await runAs(VICTIM, args, env);
        assert.deepEqual(result, { code: 1, stdout: '', stderr: `docker-credential-eidf: ${line}\n` }, args.join(' '));
      }
      // The agent itself refuses to listen there, saying the same.
      const agent = await runAs(VICTIM, ['daemon', 'run'], env);
      assert.deepEqual(agent, { code: 1, stdout: '', stderr: `docker-credential-eidf: ${line}\n` }, 'daemon run');
      assert.deepEqual(pidsOf(VICTIM), [], 'no agent was started');
      assert.equal(
        existsSync(`/home/${VICTIM}/.local/state/docker-credential-eidf/agent.log`),
        false,
        'no agent log: no agent was spawned',
      );
    }

    async function attack(
      plant: () => string,
      expect: { path: string; problem: string; action: string },
      afterListen = () => {},
    ): Promise<void> {
      cleanTmp();
      const socketPath = plant();
      const fake = await startFakeAgent(socketPath);
      try {
        afterListen();
        await assertRefused(expect.path, expect.problem, expect.action);
      } finally {
        const seen = await fake.stop();
        assert.deepEqual(seen, { connections: 0, bytes: 0, received: [] }, 'the fake agent received nothing');
      }
    }

    const attackerOwns = () =>
      `it is owned by uid ${ids[ATTACKER].uid} (${ATTACKER}), not by you (uid ${ids[VICTIM].uid})`;
    const notYours = 'have an administrator remove it (it is not yours)';

    test('a 0777 folder made first by another user, with their agent listening in it', async () => {
      await attack(
        () => {
          asAttacker('mkdir', ['-m', '0777', runtimeDir()]);
          return join(runtimeDir(), 'agent.sock');
        },
        { path: runtimeDir(), problem: attackerOwns(), action: notYours },
      );
    });

    test("a symlink to the other user's folder", async () => {
      const target = join(work, 'attacker-run');
      await attack(
        () => {
          rmSync(target, { recursive: true, force: true });
          mkdirSync(target);
          sh('chown', [`${ATTACKER}:${ATTACKER}`, target]);
          chmodSync(target, 0o777);
          asAttacker('ln', ['-s', target, runtimeDir()]);
          return join(target, 'agent.sock');
        },
        {
          path: runtimeDir(),
          problem: `it is a symlink owned by uid ${ids[ATTACKER].uid} (${ATTACKER})`,
          action: notYours,
        },
      );
    });

    test('a 0700 folder owned by the other user', async () => {
      await attack(
        () => {
          asAttacker('mkdir', ['-m', '0700', runtimeDir()]);
          return join(runtimeDir(), 'agent.sock');
        },
        { path: runtimeDir(), problem: attackerOwns(), action: notYours },
      );
    });

    test("the victim's own folder, open to all, with the other user's socket in it", async () => {
      await attack(
        () => {
          asVictim('mkdir', [runtimeDir()]);
          asVictim('chmod', ['0777', runtimeDir()]);
          return join(runtimeDir(), 'agent.sock');
        },
        {
          path: runtimeDir(),
          problem: 'it is open to group or others (mode 0777)',
          action: `remove it (rm -r ${runtimeDir()})`,
        },
      );
    });

    test("the victim's own 0700 folder holding the other user's socket (left from when it was open)", async () => {
      const socketPath = join(runtimeDir(), 'agent.sock');
      await attack(
        () => {
          asVictim('mkdir', [runtimeDir()]);
          asVictim('chmod', ['0777', runtimeDir()]);
          return socketPath;
        },
        { path: socketPath, problem: attackerOwns(), action: `remove it (rm -r ${socketPath})` },
        () => {
          asVictim('chmod', ['0700', runtimeDir()]); // as the old agent did: the planted socket stays
          assert.equal(lstatSync(socketPath).uid, ids[ATTACKER].uid);
        },
      );
    });

    /**
     * Every path under /tmp owned by `user`. Other test files remove their temp folders meanwhile: find
     * then fails on a folder gone between listing and opening it (-ignore_readdir_race does not cover
     * that), which is not an error here; any other complaint is.
     */
    const tmpFilesOf = (user: string) => {
      const found = spawnSync('find', ['/tmp', '-xdev', '-ignore_readdir_race', '-user', user], { encoding: 'utf8' });
      const complaints = found.stderr.split('\n').filter((l) => l && !l.endsWith(': No such file or directory'));
      assert.deepEqual(complaints, [], 'find /tmp');
      return found.stdout.split('\n').filter(Boolean).sort();
    };

    test('HOME unset: per-user files go to the home folder from the password database, none to /tmp', async () => {
      cleanTmp();
      // What the other user plants where the old fallback looked: a config naming their registry, an open cache folder.
      asAttacker('mkdir', ['-m', '0777', '-p', `${runtimeDir()}/.config/docker-credential-eidf`]);
      asAttacker('sh', [
        '-c',
        `echo '{"registry":"attacker.example"}' > ${runtimeDir()}/.config/docker-credential-eidf/config.json`,
      ]);
      const plantedCache = !existsSync('/tmp/.cache');
      if (plantedCache) asAttacker('mkdir', ['-m', '0777', '/tmp/.cache']);
      const xdgRuntime = join(work, 'victim-run');
      mkdirSync(xdgRuntime, { mode: 0o700 });
      sh('chown', [`${VICTIM}:${VICTIM}`, xdgRuntime]);
      const env = { EIDF_STORE: 'memory', XDG_RUNTIME_DIR: xdgRuntime }; // no HOME
      // As RHEL's umask 002 leaves it for a user-private group: group-writable, the group the victim's alone.
      asVictim('mkdir', ['-p', `/home/${VICTIM}/.local/state`]);
      asVictim('chmod', ['0775', `/home/${VICTIM}/.local/state`]);
      try {
        const started = await runAs(VICTIM, ['daemon', 'start'], env);
        assert.equal(started.code, 0, started.stderr);
        assert.match(
          started.stdout,
          new RegExp(`^agent \\S+ running \\(pid \\d+\\); socket ${xdgRuntime}/docker-credential-eidf/agent.sock\n$`),
        );
        const status = await runAs(VICTIM, ['status', '--json'], env);
        assert.equal(status.code, 4, status.stderr);
        assert.equal(
          (JSON.parse(status.stdout) as { registry: string }).registry,
          'registry.eidf.ac.uk',
          'the planted config was not read',
        );
        const home = `/home/${VICTIM}`;
        for (const [path, mode] of [
          [`${home}/.local/state/docker-credential-eidf`, 0o700],
          [`${home}/.local/state/docker-credential-eidf/agent.log`, 0o600],
          [`${home}/.cache/docker-credential-eidf/compile-cache`, 0o700],
        ] as const) {
          const stats = lstatSync(path);
          assert.equal(stats.uid, ids[VICTIM].uid, `${path} is the victim's`);
          assert.equal(stats.mode & 0o777, mode, `${path} mode`);
        }
        assert.deepEqual(
          tmpFilesOf(VICTIM).filter((p) => !p.startsWith(`${xdgRuntime}/`) && p !== xdgRuntime),
          [],
          'nothing of the victim in /tmp outside its runtime folder',
        );
      } finally {
        if (plantedCache) rmSync('/tmp/.cache', { recursive: true, force: true });
        const stopped = await runAs(VICTIM, ['daemon', 'stop'], env);
        assert.deepEqual(stopped, { code: 0, stdout: 'agent stopped\n', stderr: '' });
      }
    });

    test('HOME unset and no home folder in the password database: one line, nothing created', async () => {
      const line = `invalid configuration: HOME is not set and the password database gives no existing home folder for uid ${ids[NOHOME].uid}; set HOME or EIDF_HOME`;
      const status = await runAs(NOHOME, ['status'], { EIDF_STORE: 'memory' });
      assert.deepEqual(status, { code: 1, stdout: '', stderr: `docker-credential-eidf: ${line}\n` });
      const get = await runAs(NOHOME, ['get'], { EIDF_STORE: 'memory' }, 'registry.eidf.ac.uk\n');
      assert.deepEqual(get, { code: 1, stdout: `${line}\n`, stderr: '' });
      assert.deepEqual(tmpFilesOf(NOHOME), [], 'no fallback folder in /tmp');
      assert.deepEqual(pidsOf(NOHOME), [], 'no agent started');
    });
  },
);
