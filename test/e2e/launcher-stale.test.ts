import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { REPO_ROOT, runProcess } from '../helpers/cli.ts';

/**
 * The checkout launcher (bin/) never runs a protocol bundle older than the sources: in a copy of
 * the checkout, an edited source makes it run the sources until the next build.
 */
const copy = mkdtempSync(join(tmpdir(), 'eidf-stale-'));
for (const part of ['bin', 'src', 'scripts/build.ts', 'package.json', 'package-lock.json', 'tsconfig.json'])
  cpSync(join(REPO_ROOT, part), join(copy, part), { recursive: true });
symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
const home = join(copy, 'h');
mkdirSync(home, { mode: 0o700 });
const env = { PATH: process.env.PATH, HOME: home, EIDF_HOME: home, EIDF_STORE: 'memory', EIDF_REGISTRY: 'r.example' };
const node = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
const build = () => runProcess(node, [join(copy, 'scripts', 'build.ts')], { env, cwd: copy });
const get = () => runProcess(join(copy, 'bin', 'docker-credential-eidf'), ['get'], { env, input: 'r.example' });
const STALE = 'docker-credential-eidf: src/ is newer than dist/ (npm run build): running from the sources\n';

after(async () => {
  await runProcess(join(copy, 'bin', 'docker-credential-eidf'), ['daemon', 'stop'], { env });
  rmSync(copy, { recursive: true, force: true });
});

it('runs the bundle when it is current, the sources after an edit, the bundle again after a build', async () => {
  assert.equal((await build()).code, 0);
  const fresh = await get();
  assert.equal(fresh.stdout, 'credentials not found in native keychain\n');
  assert.equal(fresh.stderr, '');
  // An edit, one second later than anything the build saw.
  const later = Date.now() / 1000 + 1;
  utimesSync(join(copy, 'src', 'core', 'errors.ts'), later, later);
  const stale = await get();
  assert.equal(stale.stdout, 'credentials not found in native keychain\n');
  assert.equal(stale.stderr, STALE);
  assert.equal((await build()).code, 0);
  assert.equal((await get()).stderr, '');
});
