import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { headlessHome } from '../helpers/headless.ts';

/** Issue 10, point 3: `config get|set|unset|list [--json]`, as a person runs it (in-process: helpers/headless.ts). */
describe('docker-credential-eidf config', () => {
  const ctx = headlessHome();
  const runCli = (args: string[], options: { env: NodeJS.ProcessEnv; input?: string }) => ctx.run(args, options);
  // The settings under test come from the file: none from the environment.
  const { EIDF_STORE: _store, ...env } = ctx.env;
  const file = join(ctx.home, 'config.json');
  const config = (...args: string[]) => runCli(['config', ...args], { env });
  after(() => ctx.cleanup());

  it('set writes config.json with JSON types, keeping every other key and the mode; get reads it back', async () => {
    writeFileSync(file, '{\n    "colour": "red",\n    "registry": "reg.example"\n}\n', { mode: 0o644 });
    assert.deepEqual(await config('set', 'keepAliveSeconds', '120'), {
      code: 0,
      stdout: `set keepAliveSeconds = 120 in ${file}\n`,
      stderr: `the agent restarts with it at the next docker-credential-eidf command; a systemd service needs: systemctl --user restart docker-credential-eidf\n`,
    });
    assert.equal(
      (await config('set', 'EIDF_ALLOW_INSECURE_LOOPBACK', 'yes')).code,
      0,
      'the variable names the setting too',
    );
    assert.equal((await config('set', 'store', 'file')).code, 0);
    assert.equal(
      readFileSync(file, 'utf8'),
      '{\n    "colour": "red",\n    "registry": "reg.example",\n    "keepAliveSeconds": 120,\n    "allowInsecureLoopback": true,\n    "store": "file"\n}\n',
    );
    assert.equal(statSync(file).mode & 0o777, 0o644, 'the mode of an existing file is kept');
    assert.deepEqual(await config('get', 'keepAliveSeconds'), { code: 0, stdout: '120\n', stderr: '' });
    assert.deepEqual(JSON.parse((await config('get', 'store', '--json')).stdout), {
      key: 'store',
      variable: 'EIDF_STORE',
      value: 'file',
      source: 'config file',
      fileValue: 'file',
    });
  });

  it('a bad value: the same one line as the environment gets, exit 1, the file unchanged', async () => {
    const before = readFileSync(file, 'utf8');
    const fromEnv = await runCli(['status'], { env: { ...env, EIDF_STORE: 'vault' } });
    const set = await config('set', 'store', 'vault');
    assert.deepEqual(set, { code: 1, stdout: '', stderr: fromEnv.stderr });
    assert.equal(
      set.stderr,
      'docker-credential-eidf: invalid configuration: EIDF_STORE must be one of auto, keychain, memory, file\n',
    );
    assert.equal(
      (await config('set', 'registry', 'http://10.1.2.3')).stderr,
      'docker-credential-eidf: invalid configuration: EIDF_REGISTRY must be an https:// URL (http:// is allowed only for loopback hosts)\n',
    );
    assert.equal(
      (await config('set', 'oidcIsuer', 'https://x')).stderr,
      'docker-credential-eidf: unknown setting "oidcIsuer" (did you mean "oidcIssuer"?); docker-credential-eidf config list shows them all\n',
    );
    assert.equal((await config('set', 'store')).code, 2);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('an unknown key in config.json stops other commands with "did you mean"; list reports it and unset removes it', async () => {
    const stopped = await runCli(['status'], { env });
    assert.deepEqual(stopped, {
      code: 1,
      stdout: '',
      stderr: `docker-credential-eidf: invalid configuration: ${file}: unknown key "colour" (docker-credential-eidf config list shows the settings)\n`,
    });
    const get = await runCli(['get'], { env, input: 'reg.example' });
    assert.deepEqual(get, {
      code: 1,
      stdout: `invalid configuration: ${file}: unknown key "colour" (docker-credential-eidf config list shows the settings)\n`,
      stderr: '',
    });

    const list = JSON.parse((await config('list', '--json')).stdout);
    assert.deepEqual(list.unknownKeys, [
      { key: 'colour', problem: 'unknown key "colour" (docker-credential-eidf config list shows the settings)' },
    ]);
    assert.equal(list.problem, null);
    assert.deepEqual(
      list.settings.find((s: { key: string }) => s.key === 'registry'),
      {
        key: 'registry',
        variable: 'EIDF_REGISTRY',
        value: 'reg.example',
        source: 'config file',
        fileValue: 'reg.example',
      },
    );
    assert.equal(list.settings.find((s: { key: string }) => s.key === 'oidcScopes').source, 'default');
    const text = await config('list');
    assert.match(text.stdout, /^keepAliveSeconds +120 +config file$/m);
    assert.match(
      text.stdout,
      /^config file: unknown key "colour" .*; remove it with: docker-credential-eidf config unset colour$/m,
    );

    assert.deepEqual(await config('unset', 'colour'), { code: 0, stdout: `removed colour from ${file}\n`, stderr: '' });
    assert.equal(
      (await runCli(['config', 'get', 'registry'], { env: { ...env, EIDF_REGISTRY: 'other.example' } })).stderr,
      '(from EIDF_REGISTRY in the environment; the config file has reg.example)\n',
    );
    assert.equal((await runCli(['status', '--json'], { env })).code, 4, 'status runs again');
  });

  it('unset refuses to leave an invalid file, and says when there is nothing to remove', async () => {
    assert.equal((await config('set', 'registry', 'http://127.0.0.1:9')).code, 0);
    const before = readFileSync(file, 'utf8');
    assert.equal(
      (await config('unset', 'allowInsecureLoopback')).stderr,
      'docker-credential-eidf: invalid configuration: EIDF_REGISTRY is http://; set EIDF_ALLOW_INSECURE_LOOPBACK=1 to allow that on loopback\n',
    );
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.deepEqual(await config('unset', 'oidcIssuer'), {
      code: 0,
      stdout: `oidcIssuer is not in ${file}; nothing was changed\n`,
      stderr: '',
    });
    assert.deepEqual(await config('get', 'oidcIssuer'), {
      code: 1,
      stdout: '',
      stderr: 'oidcIssuer is not set (EIDF_OIDC_ISSUER or config.json)\n',
    });
  });
});
