import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT, runProcess } from '../helpers/cli.ts';

it('the README demo runs the device login, then the EIDF path (CLI secret, dead, revived by a web login), and exits 0', async () => {
  const result = await runProcess(process.execPath, [join(REPO_ROOT, 'scripts', 'demo.ts')], {
    // Harbor's stored token dies 15 s after the web login instead of 35 s: the wait is most of the demo.
    // The agent checks the secret every 2 s (not 5), and the device login polls every 0.2 s (not 1).
    env: { ...process.env, DEMO_TOKEN_TTL_SECONDS: '25', DEMO_KEEPALIVE_SECONDS: '2', DEMO_DEVICE_POLL_SECONDS: '0.2' },
    timeoutMs: 150_000,
  });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const expected = [
    'logged in as alice',
    'registry secret: valid for Harbor user alice',
    'credHelpers only, no secret',
    'the IdP revoked the refresh token',
    // the EIDF path
    "the profile's CLI secret (User Profile → CLI secret): ",
    'as Harbor user alice: the CLI secret is stored and kept alive by the agent',
    'CLI secret: no OIDC issuer configured',
    'store:      file (chosen by EIDF_STORE=file',
    'pulls fail: Harbor refuses the registry secret of Harbor user alice, dead since',
    'no longer works: run: docker-credential-eidf login --web',
    'credentials not found in native keychain',
    'Waiting until the same secret works again',
    'the registry secret works again (Harbor user alice)',
    'get answers again, with the same secret as before (not shown)',
    'pulled again through the helper',
    'demo finished',
  ];
  let from = 0;
  for (const line of expected) {
    const at = result.stdout.indexOf(line, from);
    assert.ok(at >= 0, `missing "${line}" (in this order) in:\n${result.stdout}`);
    from = at + line.length;
  }
  assert.doesNotMatch(result.stdout, /HOLDS A SECRET|A DIFFERENT SECRET/);
  assert.doesNotMatch(result.stdout, /"Secret"/, 'no protocol answer (with its secret) is printed');
});
