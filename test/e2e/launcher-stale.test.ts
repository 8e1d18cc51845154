import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
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

after(async () => {
  await runProcess(join(copy, 'bin', 'docker-credential-eidf'), ['daemon', 'stop'], { env });
  rmSync(copy, { recursive: true, force: true });
});

it('runs the bundle when it is current, the edited sources when they are newer, the bundle again after a build', async () => {
  assert.equal((await build()).code, 0);
  assert.equal((await get()).stdout, 'credentials not found in native keychain\n');
  // An edit that shows: the protocol's not-found text.
  const protocol = join(copy, 'src', 'protocol', 'protocol.ts');
  writeFileSync(
    protocol,
    readFileSync(protocol, 'utf8').replace("'credentials not found in native keychain'", "'edited'"),
  );
  const later = Date.now() / 1000 + 1;
  utimesSync(protocol, later, later);
  assert.equal((await get()).stdout, 'edited\n');
  assert.equal((await build()).code, 0);
  assert.equal((await get()).stdout, 'edited\n');
});
