import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../scripts/sandbox/sandbox.ts';
import { LOGIN_URL, loginHome, startCli, type Home } from './login-rig.ts';

/**
 * The browser opener: with a display and without --no-browser, `login` opens the verification
 * URL once per login (a second `login` joining it opens nothing); never in CI. BROWSER names a
 * script that records what it was asked to open.
 */
describe('login opens the browser once, and never in CI', () => {
  let sandbox: Sandbox;
  let home: Home;
  let opened: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    sandbox = await startSandbox({ devicePollInterval: 0.05 });
    home = loginHome(sandbox.env);
    opened = join(home.home, 'opened.txt');
    const browser = join(home.home, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> "${opened}"\n`);
    chmodSync(browser, 0o755);
    env = { ...home.env, DISPLAY: ':99', BROWSER: browser };
    delete env.EIDF_NO_BROWSER;
    delete env.CI;
  });
  after(async () => {
    await home?.cleanup();
    await sandbox?.stop();
  });

  it('two logins at once share one device code and one browser window', async () => {
    const first = startCli(['login'], { env });
    const url = (await first.waitForStderr(LOGIN_URL, 20_000))[1];
    const second = startCli(['login'], { env });
    await second.waitForStderr(/joining the login already in progress/, 20_000);
    await sandbox.approveDevice(url, 'alice');
    assert.equal((await first.done).code, 0);
    assert.equal((await second.done).code, 0);
    assert.equal(readFileSync(opened, 'utf8'), `${url}\n`);
  });

  it('with CI set, nothing is opened', async () => {
    await startCli(['logout'], { env }).done;
    writeFileSync(opened, '');
    const login = startCli(['login'], { env: { ...env, CI: 'true' } });
    const url = (await login.waitForStderr(LOGIN_URL, 20_000))[1];
    await sandbox.approveDevice(url, 'alice');
    assert.equal((await login.done).code, 0);
    assert.ok(existsSync(opened));
    assert.equal(readFileSync(opened, 'utf8'), '');
  });
});
