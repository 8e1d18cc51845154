import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { headlessHome } from '../helpers/headless.ts';

it('a folder where config.json should be: every command says so, naming the path, in one line', async () => {
  const ctx = headlessHome();
  const path = join(ctx.home, 'config.json');
  mkdirSync(path);
  try {
    const status = await ctx.run(['status']);
    assert.equal(status.code, 1);
    assert.equal(
      status.stderr,
      `docker-credential-eidf: invalid configuration: ${path} is a folder, not a file; remove it or move it away\n`,
    );
    const get = await ctx.run(['get'], { input: 'reg.example' });
    assert.equal(get.code, 1);
    assert.equal(get.stdout, `invalid configuration: ${path} is a folder, not a file; remove it or move it away\n`);
  } finally {
    await ctx.cleanup();
  }
});
