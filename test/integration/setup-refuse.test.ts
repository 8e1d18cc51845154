import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { EidfError } from '../../src/core/errors.ts';
import { b64, HOST, put, setupRig, tab, tree, type SetupRig } from '../helpers/setup-rig.ts';

const SECRET = 'S3CR3T-value';

/** Runs setup (or undo), expects a one-line error matching `message`, and checks that no file changed and nothing was stored. */
async function refused(rig: SetupRig, message: RegExp, undo = false, inodes = true): Promise<EidfError> {
  const before = await tree(rig.dir, inodes);
  const err = await rig.run({ undo }).then(
    () => assert.fail('expected setup to refuse'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EidfError, String(err));
  assert.match(err.message, message);
  assert.doesNotMatch(err.message, /\n/);
  assert.equal(err.message.includes(SECRET), false, 'no secret in the message');
  assert.deepEqual(await tree(rig.dir, inodes), before, 'no file changed');
  assert.deepEqual(rig.saved, []);
  return err;
}

// Bad Docker config.json, next to a valid auth.json that holds a secret setup would otherwise move.
const badDocker: Array<{ name: string; content: string; problem: string }> = [
  {
    name: 'not JSON (truncated, with a secret inside)',
    content: `{"auths": {"${HOST}": {"auth": "${b64(`u:${SECRET}`)}"}`,
    problem: 'is not valid JSON',
  },
  { name: 'not JSON (secret in a bare token)', content: `{"x": ${SECRET}}`, problem: 'is not valid JSON' },
  { name: 'JSON but an array', content: '[]', problem: 'must hold a JSON object' },
  { name: 'JSON but a string', content: '"eidf"', problem: 'must hold a JSON object' },
  {
    name: 'credHelpers not an object',
    content: tab({ credHelpers: ['eidf'] }),
    problem: 'credHelpers must be a JSON object',
  },
  {
    name: 'credHelpers[host] not a string',
    content: tab({ credHelpers: { [HOST]: true } }),
    problem: 'must be a string',
  },
  {
    name: 'auths entry with a broken auth',
    content: tab({ auths: { [HOST]: { auth: `${SECRET}!` } } }),
    problem: 'auth is not base64',
  },
];

for (const c of badDocker) {
  // Undo reads only credHelpers, so a broken auths entry concerns setup alone.
  for (const undo of c.name.startsWith('auths') ? [false] : [false, true]) {
    test(`${undo ? 'undo' : 'setup'} refuses a config.json that is ${c.name}; neither file changes`, async (t) => {
      const rig = await setupRig(t);
      await put(rig.dockerFile, c.content);
      await put(rig.authFile, tab({ auths: { [HOST]: { auth: b64(`u:${SECRET}`) } } }));
      const err = await refused(rig, new RegExp(`^${rig.dockerFile}:? .*${c.problem}`), undo);
      assert.equal(err.code, 'CONFIG_INVALID');
    });
  }
}

test('a bad auth.json stops setup before Docker config.json is written', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ auths: { [HOST]: { auth: b64(`u:${SECRET}`) } } }));
  await put(rig.authFile, '{"credHelpers": ');
  await refused(rig, new RegExp(`^${rig.authFile} is not valid JSON; nothing was changed$`));
});

test('different secrets for the registry in the two files are refused, naming both', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ auths: { [HOST]: { auth: b64(`u:${SECRET}1`) } } }));
  await put(rig.authFile, tab({ auths: { [HOST]: { auth: b64(`u:${SECRET}2`) } } }));
  await refused(rig, new RegExp(`^${rig.dockerFile} and ${rig.authFile} hold different credentials for ${HOST}`));
});

test('a broken state file is refused, naming it', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, '{}');
  await put(rig.stateFile, '{"version": 9}');
  await refused(rig, new RegExp(`^${rig.stateFile} is not a setup state file`));
  await refused(rig, new RegExp(`^${rig.stateFile} is not a setup state file`), true);
});

test('unreadable places are refused: a folder named config.json, DOCKER_CONFIG naming a file', async (t) => {
  const rig = await setupRig(t);
  await mkdir(rig.dockerFile, { recursive: true });
  await refused(rig, new RegExp(`^${rig.dockerFile} is not a regular file`));
  const asFile = await setupRig(t);
  await put(asFile.env.DOCKER_CONFIG, 'a file, not a folder');
  await refused(asFile, new RegExp(`^cannot read ${asFile.dockerFile}: a parent is not a folder`));
});

test('a config.json without read permission is refused', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, '{}', 0o000);
  const before = await tree(rig.dir);
  // Root reads any file; drop the capabilities that allow it (setpriv), so the check is real here too.
  const result =
    process.getuid?.() === 0
      ? await runWithoutDacOverride(rig)
      : await rig.run().then(
          () => null,
          (e: EidfError) => e,
        );
  assert.ok(result !== null, 'expected setup to refuse');
  assert.equal(result.code, 'CONFIG_INVALID');
  assert.equal(result.message, `cannot read ${rig.dockerFile}: permission denied`);
  assert.deepEqual(await tree(rig.dir), before);
  await chmod(rig.dockerFile, 0o600);
});

/** Runs setup in a child process that lacks CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH; returns its error. */
async function runWithoutDacOverride(rig: SetupRig): Promise<{ code: string; message: string } | null> {
  const setupModule = pathToFileURL(join(import.meta.dirname, '../../src/setup/setup.ts')).href;
  const script = `
    const { runSetup } = await import(${JSON.stringify(setupModule)});
    const input = JSON.parse(process.argv[1]);
    const deps = { saveCredential: async () => { throw new Error('not expected'); }, log: () => {} };
    await runSetup({ ...input, ...deps }).then(() => console.log('null'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
  const input = JSON.stringify({ registry: HOST, undo: false, env: rig.env, paths: rig.paths, cwd: rig.dir });
  const { stdout } = await promisify(execFile)('setpriv', [
    '--bounding-set=-dac_override,-dac_read_search',
    process.execPath,
    '--input-type=module',
    '-e',
    script,
    input,
  ]);
  return JSON.parse(stdout) as { code: string; message: string } | null;
}

test('when the store refuses the secret, no file changes and the error keeps its code', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ auths: { [HOST]: { auth: b64(`u:${SECRET}`) } } }));
  rig.failSave = new EidfError('AGENT_UNREACHABLE', 'no agent answers');
  const err = await refused(
    rig,
    new RegExp(
      `^could not move the ${HOST} credential from ${rig.dockerFile} into the store: no agent answers; nothing was changed$`,
    ),
  );
  assert.equal(err.code, 'AGENT_UNREACHABLE');
});

test('a write that fails halfway is rolled back: the first file is put back (same bytes and mode), its backup removed', async (t) => {
  const rig = await setupRig(t);
  await put(rig.dockerFile, tab({ credHelpers: { [HOST]: 'pass' } }));
  await put(rig.authFile, '{}');
  // A containers folder others can write makes the third write (auth.json's backup) fail, after config.json was replaced.
  await chmod(dirname(rig.authFile), 0o777);
  const err = await refused(
    rig,
    new RegExp(`^refusing to use ${dirname(rig.authFile)}: .*; nothing was changed$`),
    false,
    false,
  );
  assert.equal(err.code, 'CONFIG_INVALID');
});
