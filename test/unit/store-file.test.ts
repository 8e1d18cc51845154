import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileStore } from '../../src/store/file.ts';
import { eidfError } from '../helpers/errors.ts';

const root = await mkdtemp(join(tmpdir(), 'eidf-filestore-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(root, `case-${++n}`, 'data', 'secrets.json');

const storeError = (pattern: RegExp) => eidfError('STORE_UNAVAILABLE', pattern);

test('file store round-trips secrets into a 0600 file in a 0700 folder', async () => {
  const path = freshPath();
  const store = new FileStore(path);
  assert.equal(store.kind, 'file');
  assert.equal(await store.get('a'), null);
  assert.deepEqual(await store.keys(), []);
  await store.set('a', 'pässwörd "quoted"');
  await store.set('b', 'two');
  assert.equal(await store.get('a'), 'pässwörd "quoted"');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal((await stat(join(path, '..'))).mode & 0o777, 0o700);
  assert.equal(await store.delete('a'), true);
  assert.equal(await store.delete('a'), false);
  // A second store on the same file sees what the first wrote.
  assert.deepEqual(await new FileStore(path).keys(), ['b']);
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { version: 1, secrets: { b: 'two' } });
});

test('writes leave no temporary files behind', async () => {
  const path = freshPath();
  const store = new FileStore(path);
  await store.set('a', '1');
  await store.set('b', '2');
  await store.delete('a');
  assert.deepEqual(await readdir(join(path, '..')), ['secrets.json']);
});

test('a corrupt file is reported in one line, not read as empty, and left as it was', async () => {
  const path = freshPath();
  await new FileStore(path).set('seed', 'x'); // creates the folder
  const corrupt = '{"version":1,"secrets":{"k":"SECRET-do-not-echo"'; // truncated JSON
  await writeFile(path, corrupt, { mode: 0o600 });
  const store = new FileStore(path);
  for (const attempt of [
    () => store.get('k'),
    () => store.set('k2', 'v'),
    () => store.delete('k'),
    () => store.keys(),
  ]) {
    await assert.rejects(attempt(), storeError(/not valid JSON; fix or remove it/));
  }
  await assert.rejects(store.get('k'), (err: Error) => !err.message.includes('SECRET-do-not-echo'));
  assert.equal(await readFile(path, 'utf8'), corrupt);
});

test('a file of the wrong shape is refused and left as it was', async () => {
  for (const body of [
    '[]',
    '{"version":2,"secrets":{}}',
    '{"version":1,"secrets":{"k":42}}',
    '{"version":1,"secrets":[]}',
    'null',
  ]) {
    const path = freshPath();
    await new FileStore(path).set('seed', 'x');
    await writeFile(path, body, { mode: 0o600 });
    await assert.rejects(new FileStore(path).set('k', 'v'), storeError(/does not hold/));
    assert.equal(await readFile(path, 'utf8'), body);
  }
});

test('a group- or world-readable file is refused with the chmod to run, and left as it was', async () => {
  const path = freshPath();
  const store = new FileStore(path);
  await store.set('k', 'v');
  const before = await readFile(path, 'utf8');
  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    await chmod(path, mode);
    await assert.rejects(store.get('k'), storeError(new RegExp(`mode 0${mode.toString(8)}.*chmod 600`)));
    await assert.rejects(store.set('k', 'new'), storeError(/open to group or others/));
    assert.equal((await stat(path)).mode & 0o777, mode, 'mode not changed behind the user');
    assert.equal(await readFile(path, 'utf8'), before);
  }
  await chmod(path, 0o600);
  assert.equal(await store.get('k'), 'v');
});

test('a symlink in place of the file is refused', async () => {
  const path = freshPath();
  await new FileStore(path).set('seed', 'x');
  const elsewhere = join(root, `elsewhere-${n}.json`);
  await writeFile(elsewhere, '{"version":1,"secrets":{}}', { mode: 0o600 });
  await rm(path);
  await symlink(elsewhere, path);
  await assert.rejects(new FileStore(path).set('k', 'v'), storeError(/not a regular file/));
  assert.equal(await readFile(elsewhere, 'utf8'), '{"version":1,"secrets":{}}');
});

test('concurrent writers in one process lose nothing', async () => {
  const path = freshPath();
  const store = new FileStore(path);
  const other = new FileStore(path); // a second store on the same file in this process is not serialised with the first
  await Promise.all(Array.from({ length: 40 }, (_, i) => store.set(`key-${i}`, `value-${i}`)));
  assert.equal((await other.keys()).length, 40);
  await Promise.all([
    ...Array.from({ length: 20 }, (_, i) => store.delete(`key-${i}`)),
    ...Array.from({ length: 20 }, (_, i) => store.set(`new-${i}`, `v-${i}`)),
  ]);
  const keys = (await store.keys()).sort();
  assert.equal(keys.length, 40);
  assert.ok(keys.every((k) => k.startsWith('new-') || Number(k.slice(4)) >= 20));
  assert.equal(await store.get('new-7'), 'v-7');
});

test('a path that cannot hold a file is a one-line error', async () => {
  const blocker = join(root, `file-not-folder-${++n}`);
  await writeFile(blocker, 'x');
  await assert.rejects(
    new FileStore(join(blocker, 'secrets.json')).set('k', 'v'),
    storeError(/could not (read|write) secrets file .*ENOTDIR/),
  );
});
