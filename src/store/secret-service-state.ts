import { execFile } from 'node:child_process';

/**
 * What the Secret Service says about its default collection:
 * - `unlocked` / `locked`: the `Locked` property of `/org/freedesktop/secrets/aliases/default`;
 * - `no-service`: no session bus, or nothing owns `org.freedesktop.secrets`;
 * - `no-collection`: the service is there but has no default keyring;
 * - `unknown`: no D-Bus tool to ask with, or an answer we do not understand;
 * - `timeout`: the tool got no answer in time.
 */
export type SecretServiceState = 'unlocked' | 'locked' | 'no-service' | 'no-collection' | 'unknown' | 'timeout';

export interface StateReading {
  state: SecretServiceState;
  /** One line from the tool for `status`/`doctor`; never holds a secret (it reads a boolean). */
  detail: string;
}

const SERVICE = 'org.freedesktop.secrets';
const DEFAULT_COLLECTION = '/org/freedesktop/secrets/aliases/default';
const COLLECTION_IFACE = 'org.freedesktop.Secret.Collection';

/**
 * D-Bus command-line tools that can read one property, fastest first (measured from Node:
 * dbus-send ≈ 4 ms, gdbus ≈ 6 ms, busctl ≈ 7 ms a call). dbus-send ships with the bus itself.
 */
const TOOLS: ReadonlyArray<{ file: string; args: (timeoutMs: number) => string[] }> = [
  {
    file: 'dbus-send',
    args: (t) => [
      '--session',
      '--print-reply=literal',
      `--reply-timeout=${t}`,
      `--dest=${SERVICE}`,
      DEFAULT_COLLECTION,
      'org.freedesktop.DBus.Properties.Get',
      `string:${COLLECTION_IFACE}`,
      'string:Locked',
    ],
  },
  {
    file: 'gdbus',
    args: (t) => [
      'call',
      '--session',
      '--timeout',
      String(Math.max(1, Math.ceil(t / 1000))),
      '-d',
      SERVICE,
      '-o',
      DEFAULT_COLLECTION,
      '-m',
      'org.freedesktop.DBus.Properties.Get',
      COLLECTION_IFACE,
      'Locked',
    ],
  },
  {
    file: 'busctl',
    args: (t) => [
      '--user',
      `--timeout=${t}ms`,
      'get-property',
      SERVICE,
      DEFAULT_COLLECTION,
      COLLECTION_IFACE,
      'Locked',
    ],
  },
];

let workingTool: (typeof TOOLS)[number] | null | undefined; // undefined = not looked for yet, null = none here

/**
 * Reads whether the default Secret Service collection is locked, by running a D-Bus tool with
 * this process's environment (DBUS_SESSION_BUS_ADDRESS as it is at call time). Linux only.
 *
 * Why a tool and not @napi-rs/keyring: the addon has no lock query, and on a locked
 * gnome-keyring it answers `null` for a key it cannot see, exactly as for an absent key. A
 * process per check costs ≈ 4 ms and is only paid when the addon says "nothing there".
 */
export async function readSecretServiceState(timeoutMs: number): Promise<StateReading> {
  const tools = workingTool === undefined ? TOOLS : workingTool === null ? [] : [workingTool];
  for (const tool of tools) {
    const result = await run(tool.file, tool.args(timeoutMs), timeoutMs);
    if (result.missing) continue;
    workingTool = tool;
    return interpret(result);
  }
  workingTool = null;
  return { state: 'unknown', detail: 'no D-Bus tool (dbus-send, gdbus, busctl) to read the keyring lock state' };
}

interface RunResult {
  missing: boolean;
  timedOut: boolean;
  ok: boolean;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({
        missing: code === 'ENOENT',
        timedOut: err !== null && (err as { killed?: boolean }).killed === true,
        ok: err === null,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

/** Maps a tool's answer to a state. Exported for unit tests of the parsing. */
export function interpret(result: Omit<RunResult, 'missing'>): StateReading {
  const detail = firstLine(result.ok ? result.stdout : result.stderr);
  if (result.timedOut) return { state: 'timeout', detail: 'the Secret Service did not answer' };
  if (result.ok) {
    if (/\btrue\b/.test(result.stdout)) return { state: 'locked', detail };
    if (/\bfalse\b/.test(result.stdout)) return { state: 'unlocked', detail };
    return { state: 'unknown', detail };
  }
  if (/NoReply|Did not receive a reply|Timeout|timed out/i.test(result.stderr)) return { state: 'timeout', detail };
  if (/does not exist|UnknownObject|UnknownMethod|No such object/i.test(result.stderr))
    return { state: 'no-collection', detail };
  if (/ServiceUnknown|not provided by any|connect|open connection|No such file/i.test(result.stderr))
    return { state: 'no-service', detail };
  return { state: 'unknown', detail };
}

function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0].replace(/\s+/g, ' ').slice(0, 200);
}
