/**
 * A private, isolated Secret Service for tests: a temp HOME and XDG_RUNTIME_DIR, a private
 * dbus-daemon on `<dir>/run/bus` (its own config: no service activation, so nothing starts behind
 * our back and nothing outlives stop()), and a gnome-keyring-daemon with only the secrets
 * component, unlocked with a password fed on stdin (no trailing newline: it would be part of the
 * password). Both daemons run in the foreground as children of this process, so they are reaped
 * and killed by pid. See the test-rig notes on gnome-keyring on a headless box.
 *
 * The @napi-rs/keyring addon and the D-Bus tools read DBUS_SESSION_BUS_ADDRESS from the process
 * environment when they are called: in-process tests apply `env` with `applyEnv` for the length
 * of the file (node --test runs each file in its own process) and restore it afterwards.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyringEnv extends Record<string, string> {
  DBUS_SESSION_BUS_ADDRESS: string;
  XDG_RUNTIME_DIR: string;
  HOME: string;
}

export interface PrivateBus {
  /** Variables to give a child process (or `applyEnv`) so it uses this bus and HOME. */
  env: KeyringEnv;
  busPid: number;
  /** The temp folder holding HOME, the runtime dir and the bus config; removed by stop(). */
  dir: string;
  /** Kills every process started for this bus by pid, waits for them, removes the folder. */
  stop(): Promise<void>;
}

export interface PrivateKeyring extends PrivateBus {
  /** pid of the gnome-keyring-daemon. */
  daemonPid: number;
  /** Locks the login keyring over D-Bus (Secret Service `Lock`), as a screen lock would. */
  lock(): Promise<void>;
  /** SIGSTOP the keyring daemon: it keeps its bus name but answers nothing ("slow keychain"). */
  pause(): void;
  /** SIGCONT the keyring daemon. */
  resume(): void;
}

const PASSWORD = 'test-keyring-password';

/** Starts only a private session bus, with no Secret Service on it ("missing keychain"). */
export async function startPrivateBus(): Promise<PrivateBus> {
  const dir = await mkdtemp(join(tmpdir(), 'eidf-kr-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(terminate));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const home = join(dir, 'home');
    const runtime = join(dir, 'run');
    await mkdir(home, { mode: 0o700 });
    await mkdir(runtime, { mode: 0o700 });
    const config = join(dir, 'bus.conf');
    await writeFile(config, busConfig(join(runtime, 'bus')));
    const bus = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(bus);
    const address = await firstLine(bus, 'dbus-daemon');
    return {
      env: { DBUS_SESSION_BUS_ADDRESS: address, XDG_RUNTIME_DIR: runtime, HOME: home },
      busPid: bus.pid!,
      dir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts a private bus with an unlocked gnome-keyring on it (a `login` keyring is created and
 * becomes the default collection), or a locked one with `{ locked: true }`. To have items in a
 * locked keyring, start it unlocked, store them, then call `lock()`.
 */
export async function startPrivateKeyring(opts: { locked?: boolean } = {}): Promise<PrivateKeyring> {
  const base = await startPrivateBus();
  let daemon: ChildProcess | undefined;
  const stop = async () => {
    if (daemon) await terminate(daemon);
    await base.stop();
  };
  try {
    daemon = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...base.env },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    daemon.stdin!.end(PASSWORD);
    await waitForLockState(base.env, 'false');
    const pid = daemon.pid!;
    const keyring: PrivateKeyring = {
      ...base,
      daemonPid: pid,
      stop,
      lock: async () => {
        await dbusSend(base.env, [
          '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.Lock',
          'array:objpath:/org/freedesktop/secrets/collection/login',
        ]);
        await waitForLockState(base.env, 'true');
      },
      pause: () => process.kill(pid, 'SIGSTOP'),
      resume: () => process.kill(pid, 'SIGCONT'),
    };
    if (opts.locked) await keyring.lock();
    return keyring;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Sets `env` in this process's environment; returns a function that restores what was there. */
export function applyEnv(env: Record<string, string>): () => void {
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, env);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

function busConfig(socketPath: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function firstLine(child: ChildProcess, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${name} printed nothing within 5 s`)), 5000);
    child.once('error', (err) => reject(new Error(`could not start ${name}: ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`${name} exited early (code ${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.split('\n', 1)[0].trim());
      }
    });
  });
}

function dbusSend(env: KeyringEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'dbus-send',
      ['--session', '--print-reply=literal', '--reply-timeout=2000', '--dest=org.freedesktop.secrets', ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 3000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`dbus-send failed: ${String(stderr).trim()}`)) : resolve(String(stdout)),
    );
  });
}

/** Polls the default collection's Locked property until it reads `want` (5 s at most). */
async function waitForLockState(env: KeyringEnv, want: 'true' | 'false'): Promise<void> {
  const deadline = Date.now() + 5000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = await dbusSend(env, [
        '/org/freedesktop/secrets/aliases/default',
        'org.freedesktop.DBus.Properties.Get',
        'string:org.freedesktop.Secret.Collection',
        'string:Locked',
      ]);
      if (last.includes(want)) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`keyring did not become ${want === 'true' ? 'locked' : 'unlocked'}: ${last.trim()}`);
}

/** SIGCONT (a paused daemon cannot act on SIGTERM), SIGTERM, then SIGKILL after 2 s; waits for exit. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
