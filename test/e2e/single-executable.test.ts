import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusReport } from '../../src/cli/commands/status.ts';
import { VERSION } from '../../src/version.ts';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { REPO_ROOT, runProcess, type CliResult } from '../helpers/cli.ts';
import { startPrivateKeyring, type PrivateKeyring } from '../helpers/keyring.ts';
import { currentSea } from '../helpers/sea.ts';

/**
 * The single executable (scripts/build-sea.ts: dist/sea, built when stale), copied into a temp
 * folder, then run as the only program of its kind: its folder is on a PATH that holds nothing of the checkout, it runs
 * from a temp cwd, and nothing in its environment names the checkout. It must do what the
 * checkout does: the protocol verbs through an agent it starts itself (memory and the real
 * keychain), login against the sandbox, and stop its agent.
 */
const PINNED_NODE = join(REPO_ROOT, 'node_modules/node/bin/node');
const BUILD_TOOLS = [
  PINNED_NODE,
  join(REPO_ROOT, 'node_modules/postject/dist/cli.js'),
  join(REPO_ROOT, 'node_modules/esbuild/package.json'),
];
const missingTool = BUILD_TOOLS.find((file) => !existsSync(file));

const dir = mkdtempSync(join(tmpdir(), 'eidf-sea-'));
const binDir = join(dir, 'bin');
const binary = join(binDir, 'docker-credential-eidf');
const cwd = join(dir, 'cwd');
mkdirSync(cwd);
/** The system PATH without the checkout's folders (npm puts node_modules/.bin first). */
const systemPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((p) => p !== '' && !p.startsWith(REPO_ROOT))
  .join(delimiter);
let homes = 0;

/** A private EIDF_HOME and an environment that names only the binary's folder and system ones. */
function homeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = join(dir, `h${homes++}`); // short: the agent's socket lives in it
  mkdirSync(home, { mode: 0o700 });
  const env = {
    PATH: `${binDir}${delimiter}${systemPath}`,
    HOME: home,
    EIDF_HOME: home,
    EIDF_STORE: 'memory',
    ...extra,
  };
  for (const [name, value] of Object.entries(env)) assert.ok(!value.includes(REPO_ROOT), `${name} names the checkout`);
  return env;
}

/** Runs the executable by name, found on PATH, as docker would. */
const sea = (args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> =>
  runProcess('docker-credential-eidf', args, { env, cwd, ...(input === undefined ? {} : { input }) });

const statusOf = async (env: NodeJS.ProcessEnv): Promise<StatusReport> =>
  JSON.parse((await sea(['status', '--json'], env)).stdout) as StatusReport;

/** The files a process has mapped (its code, shared libraries, addons). */
const mappedFiles = (pid: number): string[] => [
  ...new Set(
    readFileSync(`/proc/${pid}/maps`, 'utf8')
      .split('\n')
      .map((line) => line.split(/\s+/)[5] ?? '')
      .filter((f) => f.startsWith('/')),
  ),
];

/** store → get → list → erase → get of one server, through the agent. */
async function roundTrip(env: NodeJS.ProcessEnv, server: string): Promise<void> {
  const stored = await sea(
    ['store'],
    env,
    JSON.stringify({ ServerURL: server, Username: 'sea-user', Secret: 's3cr3t-sea' }),
  );
  assert.equal(stored.code, 0, stored.stdout + stored.stderr);
  const got = await sea(['get'], env, server);
  assert.equal(got.code, 0, got.stdout + got.stderr);
  assert.deepEqual(JSON.parse(got.stdout), { ServerURL: server, Username: 'sea-user', Secret: 's3cr3t-sea' });
  const listed = await sea(['list'], env);
  assert.deepEqual(JSON.parse(listed.stdout), { [server]: 'sea-user' });
  const erased = await sea(['erase'], env, server);
  assert.equal(erased.code, 0, erased.stdout + erased.stderr);
  const gone = await sea(['get'], env, server);
  assert.equal(gone.code, 1);
  assert.equal(gone.stdout, 'credentials not found in native keychain\n');
}

describe(
  'the single executable',
  { skip: missingTool && `cannot build a single executable here: ${missingTool} is missing (npm ci)` },
  () => {
    before(async () => {
      // The checkout's executable (built now only if a source is newer), copied out of the checkout.
      mkdirSync(binDir);
      copyFileSync(await currentSea({ PATH: systemPath }), binary);
      chmodSync(binary, 0o755);
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    it('is one executable file that knows its version', async () => {
      const info = lstatSync(binary);
      assert.ok(info.isFile() && (info.mode & 0o111) !== 0);
      const version = await sea(['version'], homeEnv());
      assert.equal(version.code, 0, version.stderr);
      assert.match(
        version.stdout,
        new RegExp(`^docker-credential-eidf ${VERSION} \\(Node v[0-9.]+, linux/\\w+\\)\\n$`),
      );
    });

    it('store, get, list, erase through an agent it starts itself (memory store)', async () => {
      const env = homeEnv({ EIDF_STORE: 'memory' });
      try {
        await roundTrip(env, 'registry.example');
        const report = await statusOf(env);
        assert.equal(report.agent.version, VERSION);
        // The agent is this very file, run as `daemon run`: no node, no script of the checkout.
        const argv = readFileSync(`/proc/${report.agent.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        assert.deepEqual(argv, [binary, 'daemon', 'run']);
      } finally {
        const stopped = await sea(['daemon', 'stop'], env);
        assert.match(stopped.stdout, /agent stopped/);
      }
    });

    describe('with the keychain (a private gnome-keyring)', () => {
      let keyring: PrivateKeyring;
      before(async () => {
        keyring = await startPrivateKeyring();
      });
      after(async () => {
        await keyring?.stop();
      });

      it('keeps a credential in the real keychain, with the addon unpacked to a private folder', async () => {
        const env = homeEnv({ ...keyring.env, EIDF_STORE: 'keychain' });
        env.HOME = join(keyring.dir, 'home'); // gnome-keyring's HOME; EIDF_HOME stays private
        const server = 'keychain.example';
        try {
          const stored = await sea(
            ['store'],
            env,
            JSON.stringify({ ServerURL: server, Username: 'kc-user', Secret: 'kc-secret' }),
          );
          assert.equal(stored.code, 0, stored.stdout + stored.stderr);
          const report = await statusOf(env);
          assert.equal(report.store.kind, 'keychain', report.store.reason);
          // The addon comes out of the executable: a 0700 temp folder, nothing from the checkout.
          const files = mappedFiles(report.agent.pid);
          const addon = files.find((f) => f.endsWith('/keyring.node'));
          assert.ok(addon, `no keyring addon mapped in the agent: ${files.join(' ')}`);
          assert.equal(statSync(join(addon, '..')).mode & 0o777, 0o700);
          assert.deepEqual(
            files.filter((f) => f.startsWith(REPO_ROOT)),
            [],
          );
          // A fresh agent reads it back from the keychain, so it really is there.
          assert.match((await sea(['daemon', 'stop'], env)).stdout, /agent stopped/);
          assert.equal(existsSync(addon), false, 'the unpacked addon outlived its agent');
          const got = await sea(['get'], env, server);
          assert.equal(got.code, 0, got.stdout + got.stderr);
          assert.deepEqual(JSON.parse(got.stdout), { ServerURL: server, Username: 'kc-user', Secret: 'kc-secret' });
          const erased = await sea(['erase'], env, server);
          assert.equal(erased.code, 0, erased.stdout + erased.stderr);
          await roundTrip(env, 'other.example');
          assert.equal((await sea(['list'], env)).stdout, '{}\n');
        } finally {
          await sea(['daemon', 'stop'], env);
        }
      });
    });

    describe('login against the sandbox', () => {
      let sandbox: Sandbox;
      before(async () => {
        sandbox = await startSandbox({ devicePollInterval: 0.05, autoApprove: 'alice' });
      });
      after(async () => {
        await sandbox?.stop();
      });

      it('logs in with a device code; get then answers alice and her CLI secret; daemon stop', async () => {
        const env = homeEnv({ ...sandbox.env, EIDF_NO_BROWSER: '1' });
        try {
          const login = await sea(['login', '--no-browser'], env);
          assert.equal(login.code, 0, login.stderr);
          assert.match(login.stderr, /registry secret: valid for Harbor user alice/);
          const got = await sea(['get'], env, sandbox.registryHost);
          assert.equal(got.code, 0, got.stdout + got.stderr);
          assert.equal(
            got.stdout,
            `${JSON.stringify({ ServerURL: sandbox.registryHost, Username: 'alice', Secret: sandbox.cliSecretOf('alice') })}\n`,
          );
        } finally {
          const stopped = await sea(['daemon', 'stop'], env);
          assert.match(stopped.stdout, /agent stopped/);
        }
        assert.match((await sea(['daemon', 'stop'], env)).stdout, /no agent was running/);
      });
    });

    it('install.sh --binary --from FILE copies the executable onto the prefix (0755, no link)', async () => {
      const env = homeEnv();
      const prefix = join(dir, 'prefix');
      const installed = await runProcess(
        join(REPO_ROOT, 'install.sh'),
        ['--binary', '--from', binary, '--prefix', prefix, '--no-setup'],
        { env, cwd },
      );
      assert.equal(installed.code, 0, installed.stderr);
      const copy = join(prefix, 'docker-credential-eidf');
      const info = lstatSync(copy);
      assert.ok(info.isFile(), 'not a regular file');
      assert.equal(info.mode & 0o777, 0o755);
      assert.equal(info.size, statSync(binary).size);
      const version = await runProcess(copy, ['version'], { env, cwd });
      assert.match(
        version.stdout,
        new RegExp(`^docker-credential-eidf ${VERSION} \\(Node v[0-9.]+, linux/\\w+\\)\\n$`),
      );
      const refused = await runProcess(
        join(REPO_ROOT, 'install.sh'),
        ['--binary', '--from', join(dir, 'nothing'), '--prefix', prefix],
        { env, cwd },
      );
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /is not an executable file/);
    });
  },
);
