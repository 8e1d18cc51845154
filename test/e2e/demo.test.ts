import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT, runProcess } from '../helpers/cli.ts';

it('the README demo runs the whole flow on the sandbox and exits 0', async () => {
  const result = await runProcess(process.execPath, [join(REPO_ROOT, 'scripts', 'demo.ts')], { env: { ...process.env }, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  for (const expected of ['logged in as alice', 'registry secret: valid for Harbor user alice', 'credHelpers only, no secret', 'the IdP revoked the refresh token', 'demo finished']) {
    assert.ok(result.stdout.includes(expected), `missing "${expected}" in:\n${result.stdout}`);
  }
  assert.doesNotMatch(result.stdout, /HOLDS A SECRET/);
});
