import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSecretFile } from '../../src/k8s/secret-file.ts';
import { eidfError } from '../helpers/errors.ts';

const root = await mkdtemp(join(tmpdir(), 'eidf-k8s-file-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshDir = async (): Promise<string> => {
  const dir = join(root, `case-${++n}`);
  await mkdir(dir);
  return dir;
};
const content = 'apiVersion: v1\ndata:\n  .dockerconfigjson: c2VjcmV0\n';

const usage = (pattern: RegExp) => eidfError('USAGE', pattern, ['c2VjcmV0']); // the content never in the message

test('a new file is 0600 even under a permissive umask, with exactly the content', async () => {
  const dir = await freshDir();
  const path = join(dir, 'pull-secret.yaml');
  const previous = process.umask(0o000);
  try {
    await writeSecretFile(path, content);
  } finally {
    process.umask(previous);
  }
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await readFile(path, 'utf8'), content);
  assert.deepEqual(await readdir(dir), ['pull-secret.yaml'], 'no temp file left');
});

test('an existing world-readable file is replaced by a 0600 one', async () => {
  const dir = await freshDir();
  const path = join(dir, 'secret.yaml');
  await writeFile(path, 'old', { mode: 0o644 });
  await writeSecretFile(path, content);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await readFile(path, 'utf8'), content);
});

test('a symlink is refused and what it points to is left alone', async () => {
  const dir = await freshDir();
  const target = join(dir, 'elsewhere.txt');
  const link = join(dir, 'secret.yaml');
  await writeFile(target, 'untouched', { mode: 0o644 });
  await symlink(target, link);
  await assert.rejects(
    writeSecretFile(link, content),
    usage(/^refusing to write the secret to .*secret\.yaml: it is a symlink$/),
  );
  assert.equal(await readFile(target, 'utf8'), 'untouched');
  assert.ok((await lstat(link)).isSymbolicLink());
  assert.equal(await readlink(link), target);
  // A dangling symlink is refused as well.
  await rm(target);
  await assert.rejects(writeSecretFile(link, content), usage(/it is a symlink$/));
});

test('a missing folder or a folder at the path gives one line and leaves nothing behind', async () => {
  const dir = await freshDir();
  await assert.rejects(
    writeSecretFile(join(dir, 'no-such-dir', 'x.yaml'), content),
    usage(/^cannot write .*x\.yaml: its folder does not exist$/),
  );
  await mkdir(join(dir, 'a-folder'));
  await assert.rejects(
    writeSecretFile(join(dir, 'a-folder'), content),
    usage(/^cannot write .*a-folder: it is not a regular file$/),
  );
  assert.deepEqual(await readdir(dir), ['a-folder']);
});

test(
  'an unwritable folder gives permission denied and no temp file',
  { skip: process.getuid?.() === 0 && 'root ignores permissions' },
  async () => {
    const dir = await freshDir();
    const locked = join(dir, 'locked');
    await mkdir(locked, { mode: 0o500 });
    try {
      await assert.rejects(writeSecretFile(join(locked, 'x.yaml'), content), usage(/: permission denied$/));
      assert.deepEqual(await readdir(locked), []);
    } finally {
      await rm(locked, { recursive: true, force: true });
    }
  },
);
