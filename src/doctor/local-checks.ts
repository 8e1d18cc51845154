import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Env } from '../config.ts';
import { oneLine } from '../core/errors.ts';
import { lookPath } from '../platform/look-path.ts';
import { check, type DoctorCheck } from './verdicts.ts';
import { locateAuthFiles, type AuthFileLocation } from '../setup/auth-files.ts';
import { findPlaintextAuths, HELPER_NAME, readHelper } from '../setup/auth-entries.ts';
import { readJsonObjectFile, type JsonObject } from '../setup/json-file.ts';

/**
 * The doctor's checks that look only at this machine: is the helper where docker looks for it,
 * and do Docker's and the containers tools' auth files send the registry to it. Read only.
 */

const PROGRAM = 'docker-credential-eidf';
const SETUP = 'run: docker-credential-eidf setup';

/**
 * The file that is this program, from the argv prefix that runs it again (`CliDeps.agentCommand`):
 * the single executable itself, or the checkout's launcher `bin/docker-credential-eidf`, which runs
 * `src/cli/main.ts` or, once built, `dist/docker-credential-eidf.cjs`. Null when it cannot be told.
 */
export function thisProgram(agentCommand: readonly string[]): string | null {
  if (agentCommand.length === 1) return agentCommand[0];
  const script = agentCommand[agentCommand.length - 1];
  if (script === undefined) return null;
  if (/[\\/]src[\\/]cli[\\/]main\.ts$/.test(script)) return resolve(dirname(script), '..', '..', 'bin', PROGRAM);
  if (/[\\/]dist[\\/]docker-credential-eidf\.cjs$/.test(script)) return resolve(dirname(script), '..', 'bin', PROGRAM);
  return null;
}

/** The files that run as `program`: itself and, for a checkout's launcher, the bundled script `install.sh --script` links. */
function sameProgram(program: string): string[] {
  const launcher = /[\\/]bin[\\/]docker-credential-eidf$/.exec(program);
  return launcher ? [program, resolve(dirname(program), '..', 'dist', `${PROGRAM}.cjs`)] : [program];
}

/**
 * Finds `docker-credential-eidf` the way docker does (Go's exec.LookPath over PATH): the first
 * executable regular file of that name. Warns when there is none, naming the folder to add, or when
 * it is another copy than this program.
 */
export async function pathCheck(env: Env, platform: NodeJS.Platform, program: string | null): Promise<DoctorCheck> {
  const found = await lookPath(PROGRAM, env, platform);
  if (found === undefined) {
    const action = program
      ? `add ${dirname(program)} to PATH (export PATH="${dirname(program)}:$PATH"), or run install.sh`
      : 'install it into a folder on PATH (install.sh does)';
    return check('path', 'warn', `${PROGRAM} is not on PATH: docker, podman and skopeo cannot run it`, action);
  }
  const foundReal = await realOrSelf(found);
  const same = program === null ? [] : await Promise.all(sameProgram(program).map(realOrSelf));
  if (program !== null && !same.includes(foundReal)) {
    return check(
      'path',
      'warn',
      `docker runs ${found}, which is not this program (${program})`,
      `put ${dirname(program)} first on PATH, or run install.sh again`,
    );
  }
  return check('path', 'ok', `docker runs ${found}`);
}

/**
 * One check per auth file `locateAuthFiles` names (Docker's config.json, then the containers
 * auth.json): wired (`credHelpers[host] = "eidf"`, or for Docker `credsStore: "eidf"` with no
 * credHelpers entry for the host), no plaintext `auths` secret for the host, and
 * `credsStore` noted when it names another helper. A file that cannot be read or parsed is a fail.
 */
export async function wiringChecks(env: Env, cwd: string, host: string): Promise<DoctorCheck[]> {
  let locations: AuthFileLocation[];
  try {
    locations = locateAuthFiles(env, cwd);
  } catch (err) {
    return [check('docker-config', 'fail', oneLine(err), 'set HOME or DOCKER_CONFIG')];
  }
  const checks: DoctorCheck[] = [];
  let dockerWired = false;
  for (const location of locations) {
    const name = location.kind === 'docker' ? 'docker-config' : 'containers-auth';
    if (location.path === null) {
      checks.push(
        check(name, 'ok', `skipped (${location.source}); podman, skopeo and buildah read Docker's config.json`),
      );
      continue;
    }
    try {
      const file = await readJsonObjectFile(location.path);
      const verdict = judgeAuthFile(name, location, file.original === null ? null : file.value, host, dockerWired);
      if (location.kind === 'docker')
        dockerWired = file.original !== null && readHelper(file.value, host, location.path) === HELPER_NAME;
      checks.push(verdict);
    } catch (err) {
      const message = oneLine(err).replace(/; nothing was changed$/, '');
      checks.push(
        check(name, 'fail', message, `fix ${location.path} (docker and podman cannot use it either), then ${SETUP}`),
      );
    }
  }
  return checks;
}

interface Finding {
  message: string;
  action: string | null;
}

/**
 * Judges one auth file's content (`value`, or null when the file does not exist) for `host`.
 * `dockerWired`: for the containers file, whether Docker's config.json (which containers/image reads
 * next when its own file has no entry) is wired. Throws CONFIG_INVALID for malformed entries.
 */
export function judgeAuthFile(
  name: string,
  location: AuthFileLocation,
  value: JsonObject | null,
  host: string,
  dockerWired: boolean,
): DoctorCheck {
  const path = location.path!;
  // Only REGISTRY_AUTH_FILE makes the containers tools read that one file and nothing else.
  const fallsBack = location.kind === 'containers' && location.source !== 'REGISTRY_AUTH_FILE' && dockerWired;
  if (value === null) {
    if (fallsBack)
      return check(
        name,
        'ok',
        `${path} does not exist; podman, skopeo and buildah use Docker's config.json, which is wired`,
      );
    return check(
      name,
      'warn',
      `${path} does not exist: ${location.kind === 'docker' ? 'docker does' : 'podman, skopeo and buildah do'} not call this helper for ${host}`,
      SETUP,
    );
  }
  const findings: Finding[] = [];
  const helper = readHelper(value, host, path);
  const credsStore = value.credsStore;
  // Docker asks credsStore for a registry without a credHelpers entry (`setup --creds-store`);
  // podman, skopeo and buildah never read credsStore.
  const viaCredsStore = location.kind === 'docker' && helper === null && credsStore === HELPER_NAME;
  const wired = helper === HELPER_NAME || viaCredsStore;
  if (!wired && !fallsBack) {
    const now = helper === null ? `has no credHelpers entry for ${host}` : `sends ${host} to credHelper "${helper}"`;
    findings.push({ message: `${path} ${now}`, action: SETUP });
  }
  const plaintext = findPlaintextAuths(value, host, path);
  if (plaintext.keys.length > 0) {
    findings.push({
      message: `${path} holds a plaintext secret for ${host} in auths`,
      action: `${SETUP} (it moves the secret into the store and removes it from the file)`,
    });
  }
  if (typeof credsStore === 'string' && credsStore !== '' && credsStore !== HELPER_NAME) {
    findings.push(
      wired
        ? {
            message: `credsStore is "${credsStore}" (other registries' credentials go there; ${host} uses credHelpers)`,
            action: null,
          }
        : {
            message: `credsStore "${credsStore}" answers for ${host} until credHelpers names this helper`,
            action: SETUP,
          },
    );
  }
  if (findings.length === 0) {
    return check(
      name,
      'ok',
      viaCredsStore
        ? `${path}: credsStore = "${HELPER_NAME}" (every registry without a credHelpers entry, ${host} included)`
        : wired
          ? `${path}: credHelpers["${host}"] = "${HELPER_NAME}"`
          : `${path} has no entry for ${host}; Docker's config.json, which is wired, is used`,
    );
  }
  return check(
    name,
    'warn',
    findings.map((f) => f.message).join('; '),
    findings.find((f) => f.action !== null)?.action ?? null,
  );
}

async function realOrSelf(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}
