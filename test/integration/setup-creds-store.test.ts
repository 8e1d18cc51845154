import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { b64, HOST, put, setupRig, tab, text, tree } from '../helpers/setup-rig.ts';

test('setup --creds-store writes credsStore into Docker config.json only; undo puts the previous one back', async (t) => {
  const rig = await setupRig(t);
  const before = tab({ credsStore: 'desktop', auths: { 'quay.io': { auth: b64('q:pw') } } });
  await put(rig.dockerFile, before);
  const report = await rig.run({ credsStore: true });
  assert.equal(await text(rig.dockerFile), tab({ credsStore: 'eidf', auths: { 'quay.io': { auth: b64('q:pw') } } }));
  // podman, skopeo and buildah do not read credsStore: their file is not touched (nor created).
  assert.equal(existsSync(rig.authFile), false);
  assert.deepEqual(
    report.files.map((f) => [f.kind, f.key, f.action, f.helperBefore]),
    [
      ['docker', 'credsStore', 'wired', 'desktop'],
      ['containers', '', 'skipped', null],
    ],
  );
  assert.ok(rig.lines.includes(`${rig.dockerFile}: set credsStore = "eidf" (was "desktop")`), rig.lines.join('\n'));
  // A second run changes nothing.
  assert.equal((await rig.run({ credsStore: true })).changed, false);

  await rig.run({ undo: true });
  assert.equal(await text(rig.dockerFile), before);
  assert.equal(existsSync(rig.stateFile), false);
});

test('backups keep the original: a second setup over another original keeps both backups', async (t) => {
  const rig = await setupRig(t);
  const first = tab({ credHelpers: { [HOST]: 'pass' } });
  const second = tab({ credHelpers: { [HOST]: 'secretservice' }, psFormat: 'table' });
  await put(rig.dockerFile, first);
  await rig.run();
  await put(rig.dockerFile, second);
  await rig.run();
  const backups = (await readdir(dirname(rig.dockerFile))).filter((n) => n.includes('.eidf-backup')).sort();
  assert.deepEqual(backups, ['config.json.eidf-backup', 'config.json.eidf-backup.1']);
  assert.equal(await text(`${rig.dockerFile}.eidf-backup`), first);
  assert.equal(await text(`${rig.dockerFile}.eidf-backup.1`), second);
  // Undo takes another backup (the wired file), never replacing the earlier ones.
  await rig.run({ undo: true });
  assert.equal(await text(`${rig.dockerFile}.eidf-backup`), first);
  assert.equal(await text(`${rig.dockerFile}.eidf-backup.1`), second);
  assert.equal(
    await text(`${rig.dockerFile}.eidf-backup.2`),
    tab({ credHelpers: { [HOST]: 'eidf' }, psFormat: 'table' }),
  );
  assert.equal(await text(rig.dockerFile), second);
});

test('undo --all removes what setup wrote for every registry and deletes the files and folders it created', async (t) => {
  const rig = await setupRig(t);
  const empty = await tree(rig.dir);
  await rig.run({ registry: HOST });
  await rig.run({ registry: 'other.example:5000' });
  await rig.run({ credsStore: true });
  assert.deepEqual(JSON.parse(await text(rig.dockerFile)), {
    credHelpers: { [HOST]: 'eidf', 'other.example:5000': 'eidf' },
    credsStore: 'eidf',
  });
  // docker login writes an empty auths entry next to a helper: that is not something the user keeps.
  await put(rig.dockerFile, tab({ ...JSON.parse(await text(rig.dockerFile)), auths: { [HOST]: {} } }));

  const report = await rig.run({ undo: true, all: true, registry: 'unrelated.example' });
  assert.deepEqual(
    report.files.map((f) => [f.kind, f.key, f.action, f.deletedFile]),
    [
      ['docker', `credHelpers["${HOST}"]`, 'removed', true],
      ['docker', 'credHelpers["other.example:5000"]', 'removed', false],
      ['docker', 'credsStore', 'removed', false],
      ['containers', `credHelpers["${HOST}"]`, 'removed', true],
      ['containers', 'credHelpers["other.example:5000"]', 'removed', false],
    ],
  );
  // Every file and folder setup created is gone, the state file too (its folder is the product's config folder).
  assert.deepEqual(await tree(rig.dir), { ...empty, eidf: 'dir 700' });
});

test('undo keeps a file setup created when it now holds something else, and a later undo can still delete it', async (t) => {
  const rig = await setupRig(t);
  await rig.run({ registry: HOST });
  // The user adds a login of their own to the file setup created.
  const mine = { auths: { 'quay.io': { auth: b64('q:pw') } } };
  await put(rig.dockerFile, tab({ ...JSON.parse(await text(rig.dockerFile)), ...mine }));
  await rig.run({ undo: true });
  assert.equal(await text(rig.dockerFile), tab(mine));

  // A created file whose registry is undone first passes "created" on to the other registry's entry.
  const rig2 = await setupRig(t);
  const empty = await tree(rig2.dir);
  await rig2.run({ registry: HOST });
  await rig2.run({ registry: 'other.example' });
  await rig2.run({ undo: true, registry: HOST });
  assert.deepEqual(JSON.parse(await text(rig2.dockerFile)), { credHelpers: { 'other.example': 'eidf' } });
  await rig2.run({ undo: true, registry: 'other.example' });
  assert.deepEqual(await tree(rig2.dir), { ...empty, eidf: 'dir 700' });
});
